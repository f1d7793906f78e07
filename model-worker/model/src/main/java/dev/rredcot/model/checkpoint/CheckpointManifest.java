package dev.rredcot.model.checkpoint;

import static dev.rredcot.model.checkpoint.CheckpointStore.MANIFEST;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A checkpoint's {@code manifest.json}: its version, parent, creation time, the SHA-256 digest of
 * every file and the metrics of the step that wrote it; written by {@link CheckpointStore#write}
 * and read, strictly, before a checkpoint is verified.
 *
 * @param version the checkpoint's version
 * @param parentVersion the version it was trained from; null for a first version
 * @param createdAtMs when it was written, epoch milliseconds
 * @param files relative file name to hex SHA-256 digest
 * @param metrics the step's metrics (non-finite values kept as text)
 */
record CheckpointManifest(
    long version,
    Long parentVersion,
    long createdAtMs,
    Map<String, String> files,
    Map<String, Double> metrics) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The manifest's bytes: pretty-printed JSON, metrics in name order, non-finite ones as text. */
  static byte[] bytes(
      long version,
      Long parentVersion,
      long createdAtMs,
      Map<String, String> digests,
      Map<String, Double> metrics)
      throws IOException {
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("version", version);
    if (parentVersion == null) {
      manifest.putNull("parentVersion");
    } else {
      manifest.put("parentVersion", parentVersion.longValue());
    }
    manifest.put("createdAtMs", createdAtMs);
    ObjectNode files = manifest.putObject("files");
    digests.forEach(files::put);
    ObjectNode metricsNode = manifest.putObject("metrics");
    new TreeMap<>(metrics)
        .forEach(
            (name, value) -> {
              Objects.requireNonNull(value, () -> "metric " + name + " is null");
              if (Double.isFinite(value)) {
                metricsNode.put(name, value.doubleValue());
              } else {
                metricsNode.put(name, value.toString());
              }
            });
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
  }

  /**
   * The manifest in {@code bytes}, read from checkpoint {@code dir}.
   *
   * @throws CheckpointVerificationException when a field is missing or of the wrong type, or a
   *     digest is not SHA-256 hex
   */
  static CheckpointManifest parse(Path dir, byte[] bytes) throws CheckpointVerificationException {
    JsonNode node;
    try {
      node = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new CheckpointVerificationException(
          dir + ": unreadable " + MANIFEST + ": " + e.getMessage(), e);
    }
    if (node == null
        || !node.isObject()
        || !node.path("version").canConvertToLong()
        || !node.path("version").isIntegralNumber()
        || !node.path("createdAtMs").isIntegralNumber()
        || !node.path("files").isObject()) {
      throw new CheckpointVerificationException(
          dir
              + ": unreadable "
              + MANIFEST
              + ": needs integer version, createdAtMs and a files object");
    }
    JsonNode parent = node.path("parentVersion");
    Long parentVersion;
    if (parent.isMissingNode() || parent.isNull()) {
      parentVersion = null;
    } else if (parent.isIntegralNumber()) {
      parentVersion = parent.asLong();
    } else {
      throw new CheckpointVerificationException(
          dir + ": unreadable " + MANIFEST + ": parentVersion must be an integer or null");
    }
    Map<String, String> files = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.get("files").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!entry.getValue().isTextual() || !entry.getValue().asText().matches("[0-9a-fA-F]{64}")) {
        throw new CheckpointVerificationException(
            dir
                + ": unreadable "
                + MANIFEST
                + ": digest of "
                + entry.getKey()
                + " is not sha256 hex");
      }
      files.put(entry.getKey(), entry.getValue().asText());
    }
    Map<String, Double> metrics = new TreeMap<>();
    JsonNode metricsNode = node.path("metrics");
    if (metricsNode.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = metricsNode.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        JsonNode value = entry.getValue();
        try {
          metrics.put(
              entry.getKey(),
              value.isNumber() ? value.asDouble() : Double.parseDouble(value.asText()));
        } catch (NumberFormatException e) {
          throw new CheckpointVerificationException(
              dir + ": unreadable " + MANIFEST + ": metric " + entry.getKey() + " is not a number",
              e);
        }
      }
    }
    return new CheckpointManifest(
        node.get("version").asLong(),
        parentVersion,
        node.get("createdAtMs").asLong(),
        files,
        metrics);
  }
}
