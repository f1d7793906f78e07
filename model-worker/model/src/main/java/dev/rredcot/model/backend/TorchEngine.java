package dev.rredcot.model.backend;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collection;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine-internal DJL PyTorch calls the backends share (device and thread choice, autograd
 * mode, gradient recording and zeroing), kept in one place because they reach past DJL's public API
 * into {@link JniUtils}.
 */
public final class TorchEngine {

  /**
   * DJL's system property for PyTorch intra-op threads; unset means 1 (see {@link #chooseDevice}).
   */
  public static final String INTRA_OP_THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

  private static final Logger LOG = LoggerFactory.getLogger(TorchEngine.class);

  /**
   * DJL's PyTorch engine allows only one GradientCollector at a time, so two models in one JVM
   * (e.g. trainer and attribution) must not record gradients concurrently.
   */
  private static final ReentrantLock GRADIENT_LOCK = new ReentrantLock();

  private TorchEngine() {}

  /**
   * The GPU when PyTorch sees one, else the CPU (logged); also limits PyTorch to one intra-op
   * thread unless {@value #INTRA_OP_THREADS_PROPERTY} is set.
   */
  public static Device chooseDevice() {
    Engine engine = Engine.getEngine("PyTorch");
    if (System.getProperty(INTRA_OP_THREADS_PROPERTY) == null) {
      // PyTorch's spinning intra-op threads slow every JVM down when several share few cores
      // (docs/BENCHMARKS.md, "Settings chosen by measurement"); DJL's property still overrides.
      JniUtils.setNumThreads(1);
    }
    Device device = engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    LOG.info(
        "PyTorch device: {} (PyTorch {}, {} GPU(s) visible, {} intra-op thread(s))",
        device,
        engine.getVersion(),
        engine.getGpuCount(),
        JniUtils.getNumThreads());
    return device;
  }

  /** Runs {@code body} with autograd recording off, restoring the caller's mode afterwards. */
  public static <T> T withoutGradients(Supplier<T> body) {
    boolean gradMode = JniUtils.isGradMode();
    try {
      JniUtils.setGradMode(false);
      return body.get();
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /**
   * Runs {@code body}, which may open a GradientCollector, under the JVM-wide gradient lock, so two
   * models (e.g. trainer and attribution) never record gradients at once.
   */
  public static <T> T exclusiveGradients(Supplier<T> body) {
    GRADIENT_LOCK.lock();
    try {
      return body.get();
    } finally {
      GRADIENT_LOCK.unlock();
    }
  }

  /** Sets the accumulated gradient of every parameter to zero. */
  public static void zeroGradients(Collection<NDArray> parameters) {
    for (NDArray p : parameters) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }
}
