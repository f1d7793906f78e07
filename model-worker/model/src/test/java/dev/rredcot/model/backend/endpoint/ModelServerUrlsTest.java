package dev.rredcot.model.backend.endpoint;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.tokenizer.CharTokenizer;
import java.net.URI;
import org.junit.jupiter.api.Test;

class ModelServerUrlsTest {

  @Test
  void plainHttpToLoopbackIsAllowed() {
    for (String url :
        new String[] {"http://127.0.0.1:8000", "http://localhost:8000/v1", "http://[::1]:8000"}) {
      assertDoesNotThrow(() -> ModelServerUrls.requireAllowed(URI.create(url), false), url);
    }
  }

  @Test
  void httpsIsAllowedAnywhere() {
    assertDoesNotThrow(
        () -> ModelServerUrls.requireAllowed(URI.create("https://10.1.2.3:8000/v1"), false));
  }

  @Test
  void plainHttpToAnotherHostIsRefusedUnlessAllowedExplicitly() {
    URI remote = URI.create("http://10.1.2.3:8000/v1");
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class, () -> ModelServerUrls.requireAllowed(remote, false));
    assertTrue(refused.getMessage().contains("--allow-insecure-model-url"), refused.getMessage());
    assertDoesNotThrow(() -> ModelServerUrls.requireAllowed(remote, true));
  }

  @Test
  void otherSchemesAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ModelServerUrls.requireAllowed(URI.create("file:///etc/passwd"), true));
  }

  @Test
  void connectRefusesARemotePlainHttpServerBeforeSendingAnything() {
    // 10.1.2.3 is not contacted: the refusal comes before any request (no timeout to wait out).
    assertThrows(
        IllegalArgumentException.class,
        () ->
            CompletionsBackend.connect(
                URI.create("http://10.1.2.3:8000"),
                CharTokenizer.arithmetic(),
                EndpointSettings.defaults()));
  }
}
