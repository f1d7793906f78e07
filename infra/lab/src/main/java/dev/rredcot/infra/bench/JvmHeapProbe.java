package dev.rredcot.infra.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The heap of another JVM on this machine, read through its own platform {@link MemoryMXBean} over
 * the local management agent (the JDK's attach API starts it; nothing is added to the target's
 * command line). {@link #usedAfterGcBytes()} asks the target for a full collection first, so the
 * figure is what its objects hold alive, not how much garbage the collector has let pile up.
 */
public final class JvmHeapProbe implements AutoCloseable {
  private final long pid;
  private final JMXConnector connector;
  private final MemoryMXBean memory;

  private JvmHeapProbe(long pid, JMXConnector connector, MemoryMXBean memory) {
    this.pid = pid;
    this.connector = connector;
    this.memory = memory;
  }

  /**
   * Attaches to the JVM {@code pid}, retrying while it is still starting.
   *
   * @throws IOException when it cannot be attached to within {@code timeout}
   */
  public static JvmHeapProbe attach(long pid, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    Exception last = null;
    while (System.currentTimeMillis() < deadline) {
      try {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        String address;
        try {
          address = vm.startLocalManagementAgent();
        } finally {
          vm.detach();
        }
        JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
        MemoryMXBean memory =
            ManagementFactory.newPlatformMXBeanProxy(
                connector.getMBeanServerConnection(),
                ManagementFactory.MEMORY_MXBEAN_NAME,
                MemoryMXBean.class);
        return new JvmHeapProbe(pid, connector, memory);
      } catch (Exception e) {
        // Not attachable yet (the JVM is starting) or gone; the caller checks for the latter.
        last = e;
        Thread.sleep(500);
      }
    }
    throw new IOException("cannot attach to JVM " + pid + " within " + timeout, last);
  }

  /** The heap in use after a full collection the target was asked for, in bytes. */
  public long usedAfterGcBytes() {
    memory.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** The target's maximum heap ({@code -Xmx}), in bytes. */
  public long maxHeapBytes() {
    return memory.getHeapMemoryUsage().getMax();
  }

  /** The target's resident set size from {@code /proc}, in bytes, or -1 where there is none. */
  public long residentBytes() {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[1]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    connector.close();
  }
}
