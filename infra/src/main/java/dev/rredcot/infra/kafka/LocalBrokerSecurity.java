package dev.rredcot.infra.kafka;

import dev.rredcot.model.files.OwnerOnlyFiles;
import dev.rredcot.model.service.KafkaClientConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials and certificates of the local broker's secured client listener ({@code rredcot up
 * --secure}): SASL_SSL with SCRAM-SHA-512, a TLS certificate for 127.0.0.1 signed by a self-signed
 * local CA, and the client properties that let the project's clients in.
 *
 * <p>Everything lives in one owner-only directory and is made once (passwords from {@link
 * SecureRandom}, certificates with the JDK's {@code keytool} run as a process, passwords passed
 * through its environment, never its command line); later starts reuse it.
 */
public final class LocalBrokerSecurity {
  private static final Logger LOG = LoggerFactory.getLogger(LocalBrokerSecurity.class);

  /** The SASL mechanism of the client listener. */
  public static final String MECHANISM = "SCRAM-SHA-512";

  /** The one SCRAM user, shared by the broker (inter-broker) and the project's clients. */
  public static final String USER = "rredcot";

  private static final String SECRETS = "secrets.properties";
  private static final String KEYSTORE = "broker.p12";
  private static final String TRUSTSTORE = "truststore.p12";
  private static final String CA_KEYSTORE = "ca.p12";
  private static final String STORE_TYPE = "PKCS12";
  private static final long KEYTOOL_TIMEOUT_SECONDS = 120;

  private final Path dir;
  private final String scramPassword;
  private final String storePassword;

  private LocalBrokerSecurity(Path dir, String scramPassword, String storePassword) {
    this.dir = dir;
    this.scramPassword = scramPassword;
    this.storePassword = storePassword;
  }

  /**
   * The security material in {@code dir}, made on first use.
   *
   * @throws IllegalStateException when {@code keytool} fails
   */
  public static LocalBrokerSecurity prepare(Path dir) {
    try {
      OwnerOnlyFiles.createDirectories(dir);
      Path secretsFile = dir.resolve(SECRETS);
      Properties secrets = new Properties();
      if (Files.isRegularFile(secretsFile)) {
        try (InputStream in = Files.newInputStream(secretsFile)) {
          secrets.load(in);
        }
      } else {
        secrets.setProperty("scram.password", randomSecret());
        secrets.setProperty("store.password", randomSecret());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        secrets.store(bytes, "rredcot up --secure: local broker secrets; keep private");
        OwnerOnlyFiles.write(secretsFile, bytes.toByteArray());
      }
      LocalBrokerSecurity security =
          new LocalBrokerSecurity(
              dir, secrets.getProperty("scram.password"), secrets.getProperty("store.password"));
      if (!Files.isRegularFile(dir.resolve(KEYSTORE))
          || !Files.isRegularFile(dir.resolve(TRUSTSTORE))) {
        security.makeCertificates();
      }
      return security;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare broker security in " + dir, e);
    }
  }

  /** The directory holding keystores, truststore and secrets. */
  public Path dir() {
    return dir;
  }

  /** The broker's PKCS12 truststore holding the local CA, for clients. */
  public Path truststore() {
    return dir.resolve(TRUSTSTORE);
  }

  /**
   * The StorageTool argument that creates the SCRAM user at format time ({@code --add-scram}).
   * Holds the password: never log it.
   */
  public String scramCredentialArgument() {
    return MECHANISM + "=[name=" + USER + ",password=" + scramPassword + "]";
  }

  /** The secrets, to scrub from any text shown to people. */
  List<String> secrets() {
    return List.of(scramPassword, storePassword);
  }

  /** Server properties of a {@code SASL_SSL} listener named {@code listener}. */
  public Map<String, String> brokerProperties(String listener) {
    String prefix = "listener.name." + listener.toLowerCase(java.util.Locale.ROOT) + ".";
    Map<String, String> props = new LinkedHashMap<>();
    props.put("sasl.enabled.mechanisms", MECHANISM);
    props.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
    props.put(prefix + "sasl.enabled.mechanisms", MECHANISM);
    props.put(prefix + MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config", jaas());
    props.put("ssl.keystore.location", dir.resolve(KEYSTORE).toAbsolutePath().toString());
    props.put("ssl.keystore.type", STORE_TYPE);
    props.put("ssl.keystore.password", storePassword);
    props.put("ssl.key.password", storePassword);
    props.put("ssl.truststore.location", truststore().toAbsolutePath().toString());
    props.put("ssl.truststore.type", STORE_TYPE);
    props.put("ssl.truststore.password", storePassword);
    props.put("ssl.client.auth", "none");
    return props;
  }

  /** The client properties of the project's clients: SASL_SSL, SCRAM-SHA-512, the local CA. */
  public KafkaClientConfig clientConfig(Path source) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("security.protocol", "SASL_SSL");
    props.put("sasl.mechanism", MECHANISM);
    props.put("sasl.jaas.config", jaas());
    props.put("ssl.truststore.location", truststore().toAbsolutePath().toString());
    props.put("ssl.truststore.password", storePassword);
    props.put("ssl.truststore.type", STORE_TYPE);
    return KafkaClientConfig.of(props, source.toAbsolutePath().toString());
  }

  /** Writes {@link #clientConfig} as a Kafka client properties file readable by the owner only. */
  public KafkaClientConfig writeClientProperties(Path file) {
    KafkaClientConfig config = clientConfig(file);
    Properties props = new Properties();
    props.putAll(config.asMap());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      props.store(bytes, "Kafka client config of the local broker (rredcot up --secure)");
      OwnerOnlyFiles.write(file, bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return config;
  }

  private String jaas() {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + USER
        + "\" password=\""
        + scramPassword
        + "\";";
  }

  /** A local CA, a broker key pair with a certificate for 127.0.0.1 signed by it, a truststore. */
  private void makeCertificates() {
    LOG.info("making the local broker's TLS certificates in {}", dir);
    for (String name :
        List.of(CA_KEYSTORE, KEYSTORE, TRUSTSTORE, "ca.crt", "broker.csr", "broker.crt")) {
      try {
        Files.deleteIfExists(dir.resolve(name));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + dir.resolve(name), e);
      }
    }
    String store = "-storepass:env";
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "3650",
        "-dname",
        "CN=rredcot local CA",
        "-ext",
        "bc:c",
        "-keystore",
        CA_KEYSTORE,
        "-storetype",
        STORE_TYPE,
        store,
        "STORE_PASSWORD");
    keytool(
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "3650",
        "-dname",
        "CN=localhost",
        "-keystore",
        KEYSTORE,
        "-storetype",
        STORE_TYPE,
        store,
        "STORE_PASSWORD");
    keytool(
        "-certreq",
        "-alias",
        "broker",
        "-keystore",
        KEYSTORE,
        store,
        "STORE_PASSWORD",
        "-file",
        "broker.csr");
    keytool(
        "-gencert",
        "-alias",
        "ca",
        "-keystore",
        CA_KEYSTORE,
        store,
        "STORE_PASSWORD",
        "-infile",
        "broker.csr",
        "-outfile",
        "broker.crt",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-validity",
        "3650",
        "-rfc");
    keytool(
        "-exportcert",
        "-alias",
        "ca",
        "-keystore",
        CA_KEYSTORE,
        store,
        "STORE_PASSWORD",
        "-rfc",
        "-file",
        "ca.crt");
    keytool(
        "-importcert",
        "-alias",
        "ca",
        "-file",
        "ca.crt",
        "-keystore",
        KEYSTORE,
        store,
        "STORE_PASSWORD",
        "-noprompt");
    keytool(
        "-importcert",
        "-alias",
        "broker",
        "-file",
        "broker.crt",
        "-keystore",
        KEYSTORE,
        store,
        "STORE_PASSWORD",
        "-noprompt");
    keytool(
        "-importcert",
        "-alias",
        "ca",
        "-file",
        "ca.crt",
        "-keystore",
        TRUSTSTORE,
        "-storetype",
        STORE_TYPE,
        store,
        "STORE_PASSWORD",
        "-noprompt");
    try {
      Files.deleteIfExists(dir.resolve("broker.csr"));
      for (String name : List.of(CA_KEYSTORE, KEYSTORE, TRUSTSTORE, "ca.crt", "broker.crt")) {
        OwnerOnlyFiles.restrict(dir.resolve(name));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restrict the certificates in " + dir, e);
    }
  }

  private void keytool(String... args) {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = new ArrayList<>();
    command.add(keytool.toString());
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().put("STORE_PASSWORD", storePassword);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      byte[] output;
      try (InputStream in = process.getInputStream()) {
        output = in.readAllBytes();
      }
      if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("keytool " + args[0] + " did not finish");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "keytool "
                + args[0]
                + " failed (exit "
                + process.exitValue()
                + "): "
                + scrub(new String(output, StandardCharsets.UTF_8)).trim());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + keytool, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
  }

  /** {@code text} with every secret replaced. */
  String scrub(String text) {
    String scrubbed = text;
    for (String secret : secrets()) {
      scrubbed = scrubbed.replace(secret, "[hidden]");
    }
    return scrubbed;
  }

  private static String randomSecret() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
