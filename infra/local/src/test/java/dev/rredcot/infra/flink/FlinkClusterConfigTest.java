package dev.rredcot.infra.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkClusterConfigTest {
  @TempDir Path tempDir;

  @Test
  void flinkReadsTheWrittenConfigurationBack() throws Exception {
    FlinkClusterSettings settings =
        FlinkClusterSettings.builder().optRestPort(18081).optSlots(3).build();
    FlinkClusterLayout layout = new FlinkClusterLayout(tempDir);
    Map<String, String> written = FlinkClusterConfig.configuration(settings, 40123, layout);
    Files.writeString(tempDir.resolve("config.yaml"), FlinkClusterConfig.yaml(written));

    Configuration read = GlobalConfiguration.loadConfiguration(tempDir.toString());
    for (Map.Entry<String, String> entry : written.entrySet()) {
      assertEquals(
          entry.getValue(),
          read.get(ConfigOptions.key(entry.getKey()).stringType().noDefaultValue()),
          entry.getKey());
    }
    assertEquals("18081", written.get("rest.port"));
    assertEquals("40123", written.get("jobmanager.rpc.port"));
    assertEquals("3", written.get("taskmanager.numberOfTaskSlots"));
    assertEquals("127.0.0.1", written.get("taskmanager.host"));
    assertEquals(layout.checkpointsDir().toUri().toString(), written.get("state.checkpoints.dir"));
  }

  @Test
  void theTaskManagerHeapIsTheConfiguredFrameworkAndTaskHeap() {
    FlinkClusterSettings settings = FlinkClusterSettings.builder().optTaskHeapMb(900).build();
    Map<String, String> config =
        FlinkClusterConfig.configuration(settings, 1, new FlinkClusterLayout(tempDir));
    int heap =
        Integer.parseInt(config.get("taskmanager.memory.framework.heap.size").replace("m", ""))
            + Integer.parseInt(config.get("taskmanager.memory.task.heap.size").replace("m", ""));
    List<String> options = FlinkClusterConfig.taskManagerJvmOptions(settings);
    assertTrue(options.contains("-Xmx" + heap + "m"), "" + options);
    assertTrue(options.contains("-Xms" + heap + "m"), "" + options);
  }

  @Test
  void theClusterClasspathHoldsFlinkAndDjlButNotTheJob() {
    String repo = "/root/.m2/repository/";
    String classpath =
        String.join(
            File.pathSeparator,
            "/work/infra/target/classes",
            repo + "org/apache/flink/flink-runtime/1.19.0/flink-runtime-1.19.0.jar",
            repo + "org/apache/flink/flink-runtime-web/1.19.0/flink-runtime-web-1.19.0.jar",
            repo + "com/esotericsoftware/kryo/kryo/2.24.0/kryo-2.24.0.jar",
            repo + "ai/djl/api/0.33.0/api-0.33.0.jar",
            repo + "org/apache/beam/beam-sdks-java-core/2.70.0/beam-sdks-java-core-2.70.0.jar",
            repo + "org/apache/kafka/kafka-clients/3.9.1/kafka-clients-3.9.1.jar",
            "/work/pipelines/target/rredcot-pipelines-0.1.0-SNAPSHOT.jar");
    assertEquals(
        List.of(
            repo + "org/apache/flink/flink-runtime/1.19.0/flink-runtime-1.19.0.jar",
            repo + "org/apache/flink/flink-runtime-web/1.19.0/flink-runtime-web-1.19.0.jar",
            repo + "com/esotericsoftware/kryo/kryo/2.24.0/kryo-2.24.0.jar",
            repo + "ai/djl/api/0.33.0/api-0.33.0.jar"),
        List.of(FlinkClasspath.select(classpath).split(File.pathSeparator)));
    assertThrows(
        IllegalStateException.class,
        () -> FlinkClasspath.select(repo + "org/apache/kafka/kafka-clients/3.9.1/k.jar"));
  }
}
