package dev.rredcot.infra.demo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DemoSettingsTest {

  @Test
  void secureAppliesToTheRunsOwnBrokerOnly() {
    Path runDir = Path.of("run");
    assertTrue(DemoSettings.builder(runDir).optSecure(true).build().secure());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DemoSettings.builder(runDir)
                    .optSecure(true)
                    .optBootstrapServers("127.0.0.1:9092")
                    .build());
    assertTrue(e.getMessage().contains("--kafka-config"), e.getMessage());
  }
}
