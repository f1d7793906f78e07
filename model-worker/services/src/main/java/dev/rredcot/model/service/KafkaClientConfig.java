package dev.rredcot.model.service;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The Kafka client properties every client of the project adds to its own settings: security
 * ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) and whatever else the file holds, read
 * from a standard Kafka client properties file ({@code --kafka-config FILE}, or the file named by
 * {@code $RREDCOT_KAFKA_CONFIG}). Empty when neither is given: plaintext, as before.
 *
 * <p>{@link #toString()} and {@link #masked()} hide secrets ({@code sasl.jaas.config} and every
 * {@code *password*} key), so a config can be logged; log nothing else of it.
 */
public final class KafkaClientConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Environment variable naming the client properties file. */
  public static final String ENVIRONMENT_VARIABLE = "RREDCOT_KAFKA_CONFIG";

  private static final String MASK = "[hidden]";
  private static final KafkaClientConfig NONE = new KafkaClientConfig(Map.of(), "");

  private final TreeMap<String, String> properties;
  private final String source;

  private KafkaClientConfig(Map<String, String> properties, String source) {
    this.properties = new TreeMap<>(properties);
    this.source = source;
  }

  /** No extra properties (a plaintext broker). */
  public static KafkaClientConfig none() {
    return NONE;
  }

  /** The given properties (tests, programmatic set-ups). */
  public static KafkaClientConfig of(Map<String, String> properties, String source) {
    return new KafkaClientConfig(properties, Objects.requireNonNull(source, "source"));
  }

  /**
   * Reads a Kafka client properties file.
   *
   * @throws UncheckedIOException when the file cannot be read (a missing file is an error: a typo
   *     must not silently fall back to plaintext)
   */
  public static KafkaClientConfig load(Path file) {
    Properties loaded = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      loaded.load(in);
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException("Kafka client config " + file + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Kafka client config " + file, e);
    }
    Map<String, String> properties = new TreeMap<>();
    for (String name : loaded.stringPropertyNames()) {
      properties.put(name, loaded.getProperty(name).trim());
    }
    return new KafkaClientConfig(properties, file.toAbsolutePath().toString());
  }

  /** The file at {@code path} when it is not blank, else {@link #fromEnvironment()}. */
  public static KafkaClientConfig resolve(String path) {
    if (path != null && !path.isBlank()) {
      return load(Path.of(path));
    }
    return fromEnvironment();
  }

  /** The file named by {@code $RREDCOT_KAFKA_CONFIG}, else {@link #none()}. */
  public static KafkaClientConfig fromEnvironment() {
    String path = System.getenv(ENVIRONMENT_VARIABLE);
    return path == null || path.isBlank() ? NONE : load(Path.of(path));
  }

  /** Whether there is nothing to add. */
  public boolean isEmpty() {
    return properties.isEmpty();
  }

  /** Where the properties came from (a file path, or a description), empty for {@link #none()}. */
  public String source() {
    return source;
  }

  /** The properties, secrets included: for client constructors only, never for logs. */
  public Map<String, String> asMap() {
    return Map.copyOf(properties);
  }

  /** Adds the properties to a client's {@code props} (they win over what is there). */
  public Properties applyTo(Properties props) {
    props.putAll(properties);
    return props;
  }

  /** The properties with secret values replaced, safe to log or print. */
  public Map<String, String> masked() {
    return masked(properties);
  }

  /** {@code config} with secret values replaced, safe to log or print. */
  public static Map<String, String> masked(Map<String, ?> config) {
    Map<String, String> masked = new TreeMap<>();
    config.forEach(
        (name, value) -> masked.put(name, isSecret(name) ? MASK : String.valueOf(value)));
    return masked;
  }

  /** Whether a property's value is a secret: {@code sasl.jaas.config} and any password. */
  public static boolean isSecret(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.equals("sasl.jaas.config")
        || lower.contains("password")
        || lower.contains("secret");
  }

  @Override
  public String toString() {
    return source.isEmpty() ? "no Kafka client config" : source + " " + masked();
  }
}
