package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rredcot.model.backend.TorchEngine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with global gradient-norm clipping over a {@link TrainableNetwork}'s parameters, holding the
 * moment estimates and step count between training steps.
 */
final class PolicyOptimizer {
  private static final double ADAM_BETA1 = 0.9;
  private static final double ADAM_BETA2 = 0.999;
  private static final double ADAM_EPS = 1e-8;

  private final TrainableNetwork network;
  private final Map<String, NDArray[]> adamMoments = new HashMap<>();
  private long adamSteps;

  PolicyOptimizer(TrainableNetwork network) {
    this.network = network;
  }

  /**
   * Clips the global gradient norm, applies Adam, zeroes the gradients; returns the raw norm. The
   * caller has run backward under the policy's lock and the JVM-wide gradient lock.
   *
   * @param loss the loss the gradients are of, refused when not finite
   * @throws NonFiniteStepException when the norm or the loss is not finite (weights and moments
   *     untouched)
   */
  double update(double learningRate, double maxGradNorm, double loss) {
    return TorchEngine.withoutGradients(() -> clipAndStep(learningRate, maxGradNorm, loss));
  }

  private double clipAndStep(double learningRate, double maxGradNorm, double loss) {
    try (NDManager scratch = network.parameterManager().newSubManager()) {
      Map<String, NDArray> gradients = new HashMap<>();
      double squaredNorm = 0;
      List<String> nonFinite = new ArrayList<>();
      for (Map.Entry<String, NDArray> e : network.parameters().entrySet()) {
        NDArray g = e.getValue().getGradient();
        g.attach(scratch);
        gradients.put(e.getKey(), g);
        double squared = g.square().sum().getFloat();
        if (!Double.isFinite(squared)) {
          nonFinite.add(describe(e.getKey(), g));
        }
        squaredNorm += squared;
      }
      double norm = Math.sqrt(squaredNorm);
      if (!Double.isFinite(norm)) {
        // Before any change to the weights or the moments, so the policy stays as it was.
        throw new NonFiniteStepException(
            "non-finite-gradient",
            "gradient norm is "
                + norm
                + " (loss "
                + loss
                + "); non-finite in "
                + nonFinite
                + "; update skipped");
      }
      if (!Double.isFinite(loss)) {
        throw new NonFiniteStepException(
            "non-finite-loss", "loss is " + loss + " (gradient norm " + norm + "); update skipped");
      }
      double scale = norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1.0;
      adamSteps++;
      double correction1 = 1 - Math.pow(ADAM_BETA1, adamSteps);
      double correction2 = 1 - Math.pow(ADAM_BETA2, adamSteps);
      for (Map.Entry<String, NDArray> e : network.parameters().entrySet()) {
        NDArray weight = e.getValue();
        NDArray g = gradients.get(e.getKey()).mul(scale);
        NDArray[] moments =
            adamMoments.computeIfAbsent(
                e.getKey(), k -> new NDArray[] {weight.zerosLike(), weight.zerosLike()});
        moments[0].muli(ADAM_BETA1).addi(g.mul(1 - ADAM_BETA1));
        moments[1].muli(ADAM_BETA2).addi(g.square().mul(1 - ADAM_BETA2));
        NDArray mHat = scratchCopy(moments[0], scratch).divi(correction1);
        NDArray vHat = scratchCopy(moments[1], scratch).divi(correction2);
        weight.subi(mHat.divi(vHat.sqrt().addi(ADAM_EPS)).muli(learningRate));
      }
      return norm;
    } finally {
      TorchEngine.zeroGradients(network.parameters().values());
    }
  }

  /** A parameter's gradient that does not square to a finite sum: what in it is not finite. */
  private static String describe(String name, NDArray gradient) {
    long nan = gradient.isNaN().sum().getLong();
    long infinite = gradient.isInfinite().sum().getLong();
    return name + " (" + nan + " NaN, " + infinite + " infinite of " + gradient.size() + ")";
  }

  private static NDArray scratchCopy(NDArray array, NDManager scratch) {
    NDArray copy = array.duplicate();
    copy.attach(scratch);
    return copy;
  }

  /** Frees the moment estimates (the network itself belongs to the policy). */
  void close() {
    for (NDArray[] m : adamMoments.values()) {
      m[0].close();
      m[1].close();
    }
    adamMoments.clear();
  }
}
