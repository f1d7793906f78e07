package dev.rredcot.infra.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.schemas.Topics;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Least privilege on a real {@code up --secure} broker (the child process {@code rredcot up
 * --secure} starts, with its ACLs and role files): every role's every write, read and group commit
 * is tried, the forbidden ones end in Kafka's authorization errors and the allowed ones succeed,
 * with the project's own idempotent producer; no role but the admin may delete a topic or grant
 * itself an ACL; the controller listener takes only the broker's own login.
 *
 * <p>The expected rights are spelled out here, not read from {@link ClientRole}: the table is what
 * is under test.
 */
@Tag("slow")
class KafkaAclTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final byte[] VALUE = "acl-test".getBytes(StandardCharsets.UTF_8);

  private static final Map<ClientRole, Set<String>> WRITES =
      Map.of(
          ClientRole.FEEDER, Set.of(Topics.PROMPTS),
          ClientRole.WORKER, Set.of(Topics.ROLLOUTS, Topics.DEAD_LETTERS, Topics.ROLLOUT_BUDGET),
          ClientRole.CREDIT, Set.of(Topics.CREDITED_ROLLOUTS, Topics.DEAD_LETTERS),
          ClientRole.TRAINER,
              Set.of(Topics.CHECKPOINTS, Topics.DEAD_LETTERS, Topics.ROLLOUT_BUDGET),
          ClientRole.ADMIN, Set.copyOf(Topics.ALL));

  private static final Map<ClientRole, Set<String>> READS =
      Map.of(
          ClientRole.FEEDER, Set.of(),
          ClientRole.WORKER, Set.of(Topics.PROMPTS, Topics.CHECKPOINTS, Topics.ROLLOUT_BUDGET),
          ClientRole.CREDIT, Set.of(Topics.ROLLOUTS, Topics.CHECKPOINTS),
          ClientRole.TRAINER, Set.of(Topics.CREDITED_ROLLOUTS, Topics.ROLLOUT_BUDGET),
          ClientRole.ADMIN, Set.copyOf(Topics.ALL));

  private static final Map<ClientRole, String> GROUPS =
      Map.of(
          ClientRole.WORKER, "rollout-workers",
          ClientRole.CREDIT, "rredcot-credit",
          ClientRole.TRAINER, "rredcot-trainer");

  @TempDir static Path tempDir;
  private static RredcotHome home;
  private static String bootstrap;
  private static int controllerPort;

  @BeforeAll
  static void startSecuredBrokerWithARecordOnEveryTopic() throws Exception {
    home = RredcotHome.at(tempDir);
    int[] ports = EmbeddedKafkaBroker.freeLoopbackPorts(2);
    controllerPort = ports[1];
    LocalKafkaBroker.UpResult up =
        new LocalKafkaBroker(home)
            .up(
                LocalBrokerSettings.builder()
                    .optPort(ports[0])
                    .optControllerPort(ports[1])
                    .optPartitions(1)
                    .optSecure(true)
                    .build());
    bootstrap = up.broker().bootstrapServers();
    // Something to read on every topic, so that an allowed read returns records.
    for (String topic : Topics.ALL) {
      assertEquals(topic, write(ClientRole.ADMIN, topic).topic());
    }
  }

  @AfterAll
  static void stopBroker() {
    new LocalKafkaBroker(home).down(Duration.ofSeconds(20));
  }

  @AfterEach
  void forgetTheClientConfig() {
    KafkaClients.useClientConfig(KafkaClientConfig.none());
  }

  @Test
  void eachRoleHasItsOwnUserInItsOwnFile() {
    Set<String> jaas = new java.util.HashSet<>();
    for (ClientRole role : ClientRole.values()) {
      Map<String, String> props = config(role).asMap();
      assertTrue(props.get("sasl.jaas.config").contains("username=\"" + role.userName() + "\""));
      jaas.add(props.get("sasl.jaas.config"));
      // The file names its role and hides its password when shown.
      assertFalse(config(role).toString().contains("password=\""), config(role).toString());
    }
    assertEquals(ClientRole.values().length, jaas.size(), "every role has its own password");
  }

  @Test
  void everyForbiddenWriteIsRefusedAndEveryAllowedOneSucceeds() {
    List<String> wrong = new ArrayList<>();
    for (ClientRole role : ClientRole.values()) {
      for (String topic : Topics.ALL) {
        boolean allowed = WRITES.get(role).contains(topic);
        try {
          RecordMetadata written = write(role, topic);
          if (!allowed) {
            wrong.add(role + " wrote " + topic + " at offset " + written.offset());
          }
        } catch (TopicAuthorizationException e) {
          if (allowed) {
            wrong.add(role + " was refused its own topic " + topic + ": " + e.getMessage());
          } else {
            assertTrue(e.unauthorizedTopics().contains(topic), e.toString());
          }
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void everyForbiddenReadIsRefusedAndEveryAllowedOneReturnsRecords() {
    List<String> wrong = new ArrayList<>();
    for (ClientRole role : ClientRole.values()) {
      for (String topic : Topics.ALL) {
        boolean allowed = READS.get(role).contains(topic);
        try {
          int records = read(role, topic);
          if (!allowed) {
            wrong.add(role + " read " + records + " records of " + topic);
          } else if (records == 0) {
            wrong.add(role + " read nothing of " + topic);
          }
        } catch (TopicAuthorizationException e) {
          if (allowed) {
            wrong.add(role + " was refused reading " + topic + ": " + e.getMessage());
          }
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void theFeederSeesTheEndOfThePromptsItResumesFrom() {
    // TaskFeeder resumes after the prompts on the topic: DESCRIBE, which its WRITE implies.
    use(ClientRole.FEEDER);
    Properties props = KafkaClients.manualCommitConsumerProps(bootstrap);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.bytesConsumer(props)) {
      TopicPartition prompts = new TopicPartition(Topics.PROMPTS, 0);
      long end = consumer.endOffsets(List.of(prompts), TIMEOUT).get(prompts);
      assertTrue(end >= 1, "end offset " + end);
    }
  }

  @Test
  void eachRoleCommitsOnlyToItsOwnConsumerGroup() {
    List<String> wrong = new ArrayList<>();
    for (ClientRole role : ClientRole.values()) {
      TopicPartition readable =
          new TopicPartition(
              READS.get(role).isEmpty() ? Topics.PROMPTS : READS.get(role).iterator().next(), 0);
      for (String group : GROUPS.values()) {
        boolean allowed = role == ClientRole.ADMIN || group.equals(GROUPS.get(role));
        use(role);
        Properties props = KafkaClients.manualCommitConsumerProps(bootstrap);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.bytesConsumer(props)) {
          consumer.assign(List.of(readable));
          consumer.commitSync(Map.of(readable, new OffsetAndMetadata(0)), TIMEOUT);
          if (!allowed) {
            wrong.add(role + " committed to group " + group);
          }
        } catch (GroupAuthorizationException e) {
          if (allowed) {
            wrong.add(role + " was refused its group " + group + ": " + e.getMessage());
          } else {
            assertEquals(group, e.groupId());
          }
        } catch (TopicAuthorizationException e) {
          // The feeder reads no topic: refused before its group is even asked about.
          if (allowed || role != ClientRole.FEEDER) {
            wrong.add(role + " on group " + group + ": " + e);
          }
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void noRoleButTheAdminDeletesATopicOrGrantsItselfAnAcl() throws Exception {
    for (ClientRole role : ClientRole.values()) {
      if (role == ClientRole.ADMIN) {
        continue;
      }
      try (Admin admin = admin(config(role).asMap())) {
        ExecutionException delete =
            assertThrows(
                ExecutionException.class,
                () ->
                    admin
                        .deleteTopics(List.of(Topics.CREDITED_ROLLOUTS))
                        .all()
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                role.toString());
        assertInstanceOf(TopicAuthorizationException.class, delete.getCause(), role.toString());
        AclBinding grant =
            new AclBinding(
                new ResourcePattern(
                    ResourceType.TOPIC, Topics.CREDITED_ROLLOUTS, PatternType.LITERAL),
                new AccessControlEntry(
                    role.principal(), "*", AclOperation.WRITE, AclPermissionType.ALLOW));
        ExecutionException acl =
            assertThrows(
                ExecutionException.class,
                () ->
                    admin
                        .createAcls(List.of(grant))
                        .all()
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                role.toString());
        assertInstanceOf(ClusterAuthorizationException.class, acl.getCause(), role.toString());
      }
    }
    // Still there, still refused to the worker.
    try (TopicAdmin admin = TopicAdmin.connect(bootstrap, config(ClientRole.ADMIN), TIMEOUT)) {
      assertTrue(admin.listTopics().contains(Topics.CREDITED_ROLLOUTS));
    }
    assertThrows(
        TopicAuthorizationException.class,
        () -> write(ClientRole.WORKER, Topics.CREDITED_ROLLOUTS));
  }

  @Test
  void theControllerListenerTakesOnlyTheBrokersOwnLoginOverTls() throws Exception {
    Properties secrets = new Properties();
    try (InputStream in =
        Files.newInputStream(home.kafkaDir().resolve("security").resolve("secrets.properties"))) {
      secrets.load(in);
    }
    Map<String, String> tls = new HashMap<>(config(ClientRole.ADMIN).asMap());
    tls.remove("sasl.jaas.config");
    tls.remove("sasl.mechanism");
    tls.remove("security.protocol");

    // The broker's own login (PLAIN over TLS): the controller answers, which shows that what is
    // refused below is refused for its credentials, not for a closed port.
    Map<String, String> broker = new HashMap<>(tls);
    broker.put("security.protocol", "SASL_SSL");
    broker.put("sasl.mechanism", "PLAIN");
    broker.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + ClientRole.BROKER_USER
            + "\" password=\""
            + secrets.getProperty("scram.password." + ClientRole.BROKER_USER)
            + "\";");
    assertFalse(describeController(broker).isBlank());

    // A plaintext client, the admin's SCRAM login and the admin's password over PLAIN: refused.
    Map<String, String> plaintext = Map.of("security.protocol", "PLAINTEXT");
    Map<String, String> adminScram = config(ClientRole.ADMIN).asMap();
    Map<String, String> adminPlain = new HashMap<>(broker);
    adminPlain.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + ClientRole.ADMIN.userName()
            + "\" password=\""
            + secrets.getProperty("scram.password." + ClientRole.ADMIN.userName())
            + "\";");
    for (Map<String, String> refused : List.of(plaintext, adminScram, adminPlain)) {
      assertThrows(
          ExecutionException.class,
          () -> describeController(refused),
          KafkaClientConfig.masked(refused).toString());
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static KafkaClientConfig config(ClientRole role) {
    Path file = home.clientPropertiesFile(role.roleName());
    assertTrue(Files.isRegularFile(file), file + " was not written");
    return KafkaClientConfig.load(file);
  }

  private static void use(ClientRole role) {
    KafkaClients.useClientConfig(config(role));
  }

  /** One record to {@code topic} with the services' own producer, as {@code role}. */
  private static RecordMetadata write(ClientRole role, String topic) {
    use(role);
    KafkaProducer<byte[], byte[]> producer =
        KafkaClients.reliableProducer(
            bootstrap, new ByteArraySerializer(), new ByteArraySerializer());
    try {
      return producer
          .send(new ProducerRecord<>(topic, VALUE))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new AssertionError(role + " writing " + topic, e);
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError(role + " writing " + topic, e);
    } finally {
      producer.close(KafkaClients.CLOSE_TIMEOUT);
    }
  }

  /**
   * The records of partition 0 of {@code topic} a consumer without a group gets, as {@code role}.
   */
  private static int read(ClientRole role, String topic) {
    use(role);
    Properties props = KafkaClients.manualCommitConsumerProps(bootstrap);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.bytesConsumer(props)) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seek(partition, 0);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        if (!records.isEmpty()) {
          return records.count();
        }
      }
      return 0;
    }
  }

  private static Admin admin(Map<String, String> config) {
    Properties props = new Properties();
    props.putAll(config);
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    return Admin.create(props);
  }

  /** The cluster id the controller listener reports to a client with {@code config}. */
  private static String describeController(Map<String, String> config) throws Exception {
    Properties props = new Properties();
    props.putAll(config);
    props.put(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, "127.0.0.1:" + controllerPort);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8_000);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 8_000);
    try (Admin admin = Admin.create(props)) {
      return admin.describeCluster().clusterId().get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      fail("the controller listener did not answer at all within 20 s", e);
      throw e;
    }
  }
}
