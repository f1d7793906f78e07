package dev.rredcot.infra.kafka;

import dev.rredcot.model.service.KafkaClientConfig;
import dev.rredcot.model.service.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates and describes topics on a broker, for the local stack, the in-process test broker and the
 * CLI. Every call is bounded by the timeout given at connection.
 */
public final class TopicAdmin implements AutoCloseable {
  /** One topic as seen by the broker: partition count and the end offset of each partition. */
  public record TopicSummary(String name, int partitions, List<Long> endOffsets) {
    /** Sum of the end offsets: the number of records ever written (before any retention). */
    public long totalEndOffset() {
      return endOffsets.stream().mapToLong(Long::longValue).sum();
    }
  }

  private final Admin admin;
  private final String bootstrapServers;
  private final Duration timeout;
  private final String securityProtocol;

  private TopicAdmin(
      Admin admin, String bootstrapServers, Duration timeout, String securityProtocol) {
    this.securityProtocol = securityProtocol;
    this.admin = admin;
    this.bootstrapServers = bootstrapServers;
    this.timeout = timeout;
  }

  /**
   * Connects to {@code bootstrapServers} with the process's client config ({@link
   * KafkaClients#clientConfig()}); each later call fails after {@code timeout}.
   */
  public static TopicAdmin connect(String bootstrapServers, Duration timeout) {
    return connect(bootstrapServers, KafkaClients.clientConfig(), timeout);
  }

  /**
   * Connects to {@code bootstrapServers} with {@code clientConfig}; each later call fails after
   * {@code timeout}, also when the broker refuses the client (wrong credentials fail at once).
   */
  public static TopicAdmin connect(
      String bootstrapServers, KafkaClientConfig clientConfig, Duration timeout) {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    int timeoutMs = (int) Math.max(1, timeout.toMillis());
    Properties props = new Properties();
    props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
    props.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
    props.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    props.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "rredcot-topic-admin");
    clientConfig.applyTo(props);
    return new TopicAdmin(
        Admin.create(props),
        bootstrapServers,
        timeout,
        props.getProperty(AdminClientConfig.SECURITY_PROTOCOL_CONFIG, ""));
  }

  /** The cluster id the broker reports; proves that the broker answers requests. */
  public String clusterId() {
    DescribeClusterResult result = admin.describeCluster();
    return await(result.clusterId(), "describe cluster");
  }

  /**
   * Creates the topics that do not exist yet, with {@code partitions} partitions, replication
   * factor 1 and the given topic configs (e.g. {@code retention.ms}); existing topics are left as
   * they are.
   *
   * @return the names of the topics that were created
   */
  public List<String> createTopics(
      Collection<String> names, int partitions, Map<String, String> topicConfigs) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    }
    List<NewTopic> newTopics = new ArrayList<>();
    for (String name : names) {
      newTopics.add(new NewTopic(name, partitions, (short) 1).configs(Map.copyOf(topicConfigs)));
    }
    Map<String, KafkaFuture<Void>> futures = admin.createTopics(newTopics).values();
    List<String> created = new ArrayList<>();
    for (String name : names) {
      Map.Entry<String, KafkaFuture<Void>> entry = Map.entry(name, futures.get(name));
      try {
        entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        created.add(entry.getKey());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new KafkaAdminException(
              "cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(),
              e.getCause());
        }
      } catch (TimeoutException e) {
        throw new KafkaAdminException(
            "creating topic " + entry.getKey() + " timed out after " + timeout.toMillis() + " ms",
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KafkaAdminException("interrupted while creating topics", e);
      }
    }
    return created;
  }

  /**
   * Creates the ACL bindings (an existing binding is left as it is: creating one again is a no-op
   * for Kafka's authorizer).
   */
  public void createAcls(Collection<AclBinding> bindings) {
    await(admin.createAcls(bindings).all(), "create ACLs");
  }

  /** Every ACL binding the broker holds. */
  public List<AclBinding> listAcls() {
    return new ArrayList<>(await(admin.describeAcls(AclBindingFilter.ANY).values(), "list ACLs"));
  }

  /** The names of all non-internal topics. */
  public List<String> listTopics() {
    return new ArrayList<>(await(admin.listTopics().names(), "list topics"))
        .stream().sorted().toList();
  }

  /** Partition counts and end offsets of the given topics, in the given order. */
  public List<TopicSummary> describe(Collection<String> names) {
    Map<String, TopicDescription> descriptions;
    try {
      descriptions = await(admin.describeTopics(names).allTopicNames(), "describe topics " + names);
    } catch (KafkaAdminException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new KafkaAdminException(
            "no such topic: " + names + " (existing topics: " + listTopics() + ")", e.getCause());
      }
      throw e;
    }
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (TopicDescription description : descriptions.values()) {
      description
          .partitions()
          .forEach(
              partition ->
                  latest.put(
                      new TopicPartition(description.name(), partition.partition()),
                      OffsetSpec.latest()));
    }
    Map<TopicPartition, ListOffsetsResultInfo> offsets =
        await(admin.listOffsets(latest).all(), "list end offsets");
    List<TopicSummary> summaries = new ArrayList<>();
    for (String name : names) {
      int partitionCount = descriptions.get(name).partitions().size();
      List<Long> endOffsets = new ArrayList<>();
      for (int partition = 0; partition < partitionCount; partition++) {
        endOffsets.add(offsets.get(new TopicPartition(name, partition)).offset());
      }
      summaries.add(new TopicSummary(name, partitionCount, List.copyOf(endOffsets)));
    }
    return summaries;
  }

  /**
   * The lag of every consumer group on every topic it committed offsets for: its committed offsets
   * and the end offsets of those partitions, summed over the partitions (partitions it never
   * committed are not counted), sorted by group and topic.
   */
  public List<GroupLag> consumerGroupLags() {
    List<String> groups = new ArrayList<>();
    for (ConsumerGroupListing listing :
        await(admin.listConsumerGroups().all(), "list consumer groups")) {
      groups.add(listing.groupId());
    }
    groups.sort(null);
    Map<String, Map<TopicPartition, OffsetAndMetadata>> committedByGroup = new HashMap<>();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (String group : groups) {
      // A partition the group knows but never committed has a null offset.
      Map<TopicPartition, OffsetAndMetadata> committed =
          new HashMap<>(
              await(
                  admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(),
                  "list the offsets of group " + group));
      committed.values().removeIf(Objects::isNull);
      committedByGroup.put(group, committed);
      committed.keySet().forEach(partition -> latest.put(partition, OffsetSpec.latest()));
    }
    Map<TopicPartition, ListOffsetsResultInfo> ends =
        latest.isEmpty() ? Map.of() : await(admin.listOffsets(latest).all(), "list end offsets");
    List<GroupLag> lags = new ArrayList<>();
    for (String group : groups) {
      Map<String, long[]> byTopic = new TreeMap<>();
      committedByGroup
          .get(group)
          .forEach(
              (partition, offset) -> {
                long[] sums = byTopic.computeIfAbsent(partition.topic(), t -> new long[2]);
                sums[0] += offset.offset();
                sums[1] += ends.get(partition).offset();
              });
      byTopic.forEach((topic, sums) -> lags.add(new GroupLag(group, topic, sums[0], sums[1])));
    }
    return lags;
  }

  /**
   * A consumer group's position on one topic.
   *
   * @param group the group id
   * @param topic the topic
   * @param committed committed offsets summed over the partitions it committed
   * @param end end offsets of those partitions, summed
   */
  public record GroupLag(String group, String topic, long committed, long end) {
    /** Records written and not yet committed by the group. */
    public long lag() {
      return end - committed;
    }
  }

  private <T> T await(KafkaFuture<T> future, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw new KafkaAdminException(noAnswer(what), e.getCause());
      }
      throw new KafkaAdminException(
          "cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaAdminException(noAnswer(what), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaAdminException("interrupted during " + what, e);
    }
  }

  private String noAnswer(String what) {
    return "no answer from Kafka at "
        + bootstrapServers
        + " within "
        + timeout.toMillis()
        + " ms ("
        + what
        + "); is the broker up? (rredcot status)"
        + (securityProtocol.isEmpty()
            ? " Does it take plaintext clients? (a secured one needs --kafka-config)"
            : " Does it take " + securityProtocol + " clients?");
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
