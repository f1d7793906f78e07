package dev.rredcot.model.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientConfigTest {
  @TempDir Path dir;

  @Test
  void loadsAFileAndNeverShowsItsSecrets() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("client.properties"),
            "security.protocol=SASL_SSL\n"
                + "sasl.mechanism=SCRAM-SHA-512\n"
                + "sasl.jaas.config=x required username=\"u\" password=\"s3cret-jaas\";\n"
                + "ssl.truststore.password=s3cret-store\n"
                + "ssl.key.password=s3cret-key\n");
    KafkaClientConfig config = KafkaClientConfig.load(file);
    assertEquals("SASL_SSL", config.asMap().get("security.protocol"));
    assertEquals("s3cret-store", config.asMap().get("ssl.truststore.password"));
    String shown = config.toString() + config.masked();
    assertTrue(shown.contains("SCRAM-SHA-512"), shown);
    for (String secret : new String[] {"s3cret-jaas", "s3cret-store", "s3cret-key"}) {
      assertFalse(shown.contains(secret), shown);
    }
    Properties props = config.applyTo(new Properties());
    assertEquals("SASL_SSL", props.getProperty("security.protocol"));
    assertEquals(file.toAbsolutePath().toString(), config.source());
  }

  @Test
  void aMissingFileIsAnErrorNotPlaintext() {
    assertThrows(
        UncheckedIOException.class,
        () -> KafkaClientConfig.load(dir.resolve("missing.properties")));
  }

  @Test
  void masksAnyMapOfClientSettings() {
    assertEquals(
        Map.of("bootstrap.servers", "h:1", "sasl.jaas.config", "[hidden]"),
        KafkaClientConfig.masked(Map.of("bootstrap.servers", "h:1", "sasl.jaas.config", "p")));
  }
}
