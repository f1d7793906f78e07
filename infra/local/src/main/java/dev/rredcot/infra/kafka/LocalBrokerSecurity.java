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
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials and certificates of the local broker under {@code rredcot up --secure}: both
 * listeners on TLS with a certificate for 127.0.0.1 signed by a self-signed local CA; the client
 * listener authenticates with SCRAM-SHA-512, one user per {@link ClientRole} plus the broker's own;
 * the controller listener with PLAIN (SCRAM cannot authenticate KRaft controllers: its credentials
 * live in the metadata the controller serves) for the broker's user only. Writes one client
 * properties file per role.
 *
 * <p>Everything lives in one owner-only directory and is made once (passwords from {@link
 * SecureRandom}, certificates with the JDK's {@code keytool} run as a process, passwords passed
 * through its environment, never its command line); later starts reuse it and add a password for a
 * user that has none yet.
 */
public final class LocalBrokerSecurity {
  private static final Logger LOG = LoggerFactory.getLogger(LocalBrokerSecurity.class);

  /** The SASL mechanism of the client listener. */
  public static final String MECHANISM = "SCRAM-SHA-512";

  /** The SASL mechanism of the controller listener. */
  public static final String CONTROLLER_MECHANISM = "PLAIN";

  private static final String SECRETS = "secrets.properties";
  private static final String PASSWORD_PREFIX = "scram.password.";
  private static final String KEYSTORE = "broker.p12";
  private static final String TRUSTSTORE = "truststore.p12";
  private static final String CA_KEYSTORE = "ca.p12";
  private static final String STORE_TYPE = "PKCS12";
  private static final long KEYTOOL_TIMEOUT_SECONDS = 120;

  private final Path dir;
  // SCRAM user name -> password: the broker's user and one per role.
  private final Map<String, String> passwords;
  private final String storePassword;

  private LocalBrokerSecurity(Path dir, Map<String, String> passwords, String storePassword) {
    this.dir = dir;
    this.passwords = Map.copyOf(passwords);
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
      }
      boolean changed = false;
      if (secrets.getProperty("store.password") == null) {
        secrets.setProperty("store.password", randomSecret());
        changed = true;
      }
      Map<String, String> passwords = new LinkedHashMap<>();
      for (String user : userNames()) {
        if (secrets.getProperty(PASSWORD_PREFIX + user) == null) {
          secrets.setProperty(PASSWORD_PREFIX + user, randomSecret());
          changed = true;
        }
        passwords.put(user, secrets.getProperty(PASSWORD_PREFIX + user));
      }
      if (changed) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        secrets.store(bytes, "rredcot up --secure: local broker secrets; keep private");
        OwnerOnlyFiles.write(secretsFile, bytes.toByteArray());
      }
      LocalBrokerSecurity security =
          new LocalBrokerSecurity(dir, passwords, secrets.getProperty("store.password"));
      if (!Files.isRegularFile(dir.resolve(KEYSTORE))
          || !Files.isRegularFile(dir.resolve(TRUSTSTORE))) {
        security.makeCertificates();
      }
      return security;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare broker security in " + dir, e);
    }
  }

  /** The SCRAM users of the local broker: the broker's own, then one per role. */
  public static List<String> userNames() {
    List<String> users = new ArrayList<>();
    users.add(ClientRole.BROKER_USER);
    for (ClientRole role : ClientRole.values()) {
      users.add(role.userName());
    }
    return users;
  }

  /** The {@code super.users} of the broker: itself and {@link ClientRole#ADMIN}. */
  public static String superUsers() {
    return "User:" + ClientRole.BROKER_USER + ";" + ClientRole.ADMIN.principal();
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
   * The StorageTool arguments that create every SCRAM user at format time (one {@code --add-scram}
   * value each). They hold the passwords: never log them.
   */
  public List<String> scramCredentialArguments() {
    List<String> arguments = new ArrayList<>();
    passwords.forEach(
        (user, password) ->
            arguments.add(MECHANISM + "=[name=" + user + ",password=" + password + "]"));
    return arguments;
  }

  /** The secrets, to scrub from any text shown to people. */
  List<String> secrets() {
    List<String> secrets = new ArrayList<>(passwords.values());
    secrets.add(storePassword);
    return secrets;
  }

  /**
   * Server properties of the {@code SASL_SSL} client listener named {@code listener} and the {@code
   * SASL_SSL} controller listener named {@code controllerListener}.
   */
  public Map<String, String> brokerProperties(String listener, String controllerListener) {
    String prefix = "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
    String controllerPrefix = "listener.name." + controllerListener.toLowerCase(Locale.ROOT) + ".";
    Map<String, String> props = new LinkedHashMap<>();
    props.put("sasl.enabled.mechanisms", MECHANISM);
    props.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
    props.put(prefix + "sasl.enabled.mechanisms", MECHANISM);
    props.put(
        prefix + MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
        scramJaas(ClientRole.BROKER_USER));
    // The controller listener: the node's broker and its Raft client log in as the broker's user,
    // the only user this listener knows.
    props.put("sasl.mechanism.controller.protocol", CONTROLLER_MECHANISM);
    props.put(controllerPrefix + "sasl.enabled.mechanisms", CONTROLLER_MECHANISM);
    props.put(
        controllerPrefix + CONTROLLER_MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
        controllerJaas());
    props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    props.put("super.users", superUsers());
    // Deny what no ACL allows (the authorizer's default, stated so that nobody flips it unseen).
    props.put("allow.everyone.if.no.acl.found", "false");
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

  /** The client properties of {@code role}: SASL_SSL, SCRAM-SHA-512 as its user, the local CA. */
  public KafkaClientConfig clientConfig(ClientRole role, Path source) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("security.protocol", "SASL_SSL");
    props.put("sasl.mechanism", MECHANISM);
    props.put("sasl.jaas.config", scramJaas(role.userName()));
    props.put("ssl.truststore.location", truststore().toAbsolutePath().toString());
    props.put("ssl.truststore.password", storePassword);
    props.put("ssl.truststore.type", STORE_TYPE);
    return KafkaClientConfig.of(props, source.toAbsolutePath().toString());
  }

  /**
   * Writes {@link #clientConfig} of {@code role} as a Kafka client properties file readable by the
   * owner only.
   */
  public KafkaClientConfig writeClientProperties(ClientRole role, Path file) {
    KafkaClientConfig config = clientConfig(role, file);
    Properties props = new Properties();
    props.putAll(config.asMap());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      props.store(
          bytes,
          "Kafka client config of the local broker (rredcot up --secure), role "
              + role.roleName()
              + " (user "
              + role.userName()
              + ")");
      OwnerOnlyFiles.write(file, bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return config;
  }

  private String scramJaas(String user) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + passwords.get(user)
        + "\";";
  }

  private String controllerJaas() {
    String user = ClientRole.BROKER_USER;
    String password = passwords.get(user);
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\" user_"
        + user
        + "=\""
        + password
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
