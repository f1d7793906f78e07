package dev.rredcot.infra.kafka;

import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.kafka.WriteRecords;
import dev.rredcot.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The Kafka principals of a secured deployment, one per role, and what each may do: the one table
 * of least privilege that {@code rredcot up --secure} turns into ACLs and that the Strimzi {@code
 * KafkaUser}s in {@code infra/deploy} must equal (checked by {@code DeploymentDriftTest}).
 *
 * <p>WRITE implies DESCRIBE and READ implies DESCRIBE under Kafka's authorizer, so no DESCRIBE is
 * listed. No role has IDEMPOTENT_WRITE on the cluster: since Kafka 3.0 (KIP-679) WRITE on any topic
 * is enough for an idempotent producer's id. Only the credit job uses transactions (its
 * exactly-once sinks): it may write its sinks' transactional ids and commit their progress to the
 * consumer groups of the same names. {@link #ADMIN} is a super user (as is the broker's own
 * principal) and has no ACLs.
 */
public enum ClientRole {
  /** The task feeder: writes prompts (and reads their end offsets to resume). */
  FEEDER("feeder", List.of(Permission.write(Topics.PROMPTS))),

  /**
   * A rollout worker: reads prompts in its group and checkpoint announcements, writes rollouts and
   * the dead letters of prompts it cannot decode (dead letters are read by people and replay, never
   * trained on), and reads and appends to the in-flight budget's ledger.
   */
  WORKER(
      "worker",
      List.of(
          Permission.read(Topics.PROMPTS),
          Permission.read(Topics.CHECKPOINTS),
          Permission.write(Topics.ROLLOUTS),
          Permission.write(Topics.DEAD_LETTERS),
          Permission.read(Topics.ROLLOUT_BUDGET),
          Permission.write(Topics.ROLLOUT_BUDGET),
          Permission.group(ClientRole.WORKER_GROUP))),

  /**
   * The credit job: reads rollouts in its group and checkpoints, writes credited rollouts and dead
   * letters in transactions under its sinks' transactional ids.
   */
  CREDIT(
      "credit",
      List.of(
          Permission.read(Topics.ROLLOUTS),
          Permission.read(Topics.CHECKPOINTS),
          Permission.write(Topics.CREDITED_ROLLOUTS),
          Permission.write(Topics.DEAD_LETTERS),
          Permission.group(ClientRole.CREDIT_GROUP),
          Permission.transactionalId(creditSink(Topics.CREDITED_ROLLOUTS)),
          Permission.group(creditSink(Topics.CREDITED_ROLLOUTS)),
          Permission.transactionalId(
              creditSink(Topics.CREDITED_ROLLOUTS) + WriteRecords.TOO_LARGE_SUFFIX),
          Permission.group(creditSink(Topics.CREDITED_ROLLOUTS) + WriteRecords.TOO_LARGE_SUFFIX),
          Permission.transactionalId(creditSink(Topics.DEAD_LETTERS)),
          Permission.group(creditSink(Topics.DEAD_LETTERS)))),

  /**
   * The trainer: reads credited rollouts in its group, writes checkpoint announcements, and reads
   * and appends to the in-flight budget's ledger.
   */
  TRAINER(
      "trainer",
      List.of(
          Permission.read(Topics.CREDITED_ROLLOUTS),
          Permission.write(Topics.CHECKPOINTS),
          Permission.write(Topics.DEAD_LETTERS),
          Permission.read(Topics.ROLLOUT_BUDGET),
          Permission.write(Topics.ROLLOUT_BUDGET),
          Permission.group(ClientRole.TRAINER_GROUP))),

  /** People and tools: topics, status, tail, replay, compare; a super user. */
  ADMIN("admin", List.of());

  /** Consumer group of the rollout workers ({@code worker --group}'s default). */
  public static final String WORKER_GROUP = "rollout-workers";

  /** Consumer group of the credit job ({@code --consumer-group-id}'s default). */
  public static final String CREDIT_GROUP = "rredcot-credit";

  /** Consumer group of the trainer ({@code trainer --group}'s default). */
  public static final String TRAINER_GROUP = "rredcot-trainer";

  /** The transactional id of the credit job's exactly-once sink of {@code topic}. */
  private static String creditSink(String topic) {
    return CreditPipeline.transactionalId(CREDIT_GROUP, topic);
  }

  /** The SCRAM user name of the broker itself (inter-broker and controller), a super user. */
  public static final String BROKER_USER = "rredcot-broker";

  private final String roleName;
  private final List<Permission> permissions;

  ClientRole(String roleName, List<Permission> permissions) {
    this.roleName = roleName;
    this.permissions = List.copyOf(permissions);
  }

  /** The role's short name, as in {@code client-<name>.properties}. */
  public String roleName() {
    return roleName;
  }

  /** The SCRAM user name, which is also the Strimzi {@code KafkaUser} (and its Secret). */
  public String userName() {
    return "rredcot-" + roleName;
  }

  /** The Kafka principal, {@code User:<user name>}. */
  public String principal() {
    return "User:" + userName();
  }

  /** Whether the role is a super user (no ACL applies to it). */
  public boolean superUser() {
    return this == ADMIN;
  }

  /** What the role may do, beyond which everything is denied. */
  public List<Permission> permissions() {
    return permissions;
  }

  /** The role's permissions as ACL bindings (allow, any host). */
  public List<AclBinding> aclBindings() {
    List<AclBinding> bindings = new ArrayList<>();
    for (Permission permission : permissions) {
      bindings.add(
          new AclBinding(
              new ResourcePattern(permission.type(), permission.name(), PatternType.LITERAL),
              new AccessControlEntry(
                  principal(), "*", permission.operation(), AclPermissionType.ALLOW)));
    }
    return bindings;
  }

  /** Every role's ACL bindings. */
  public static List<AclBinding> allAclBindings() {
    List<AclBinding> bindings = new ArrayList<>();
    for (ClientRole role : values()) {
      bindings.addAll(role.aclBindings());
    }
    return bindings;
  }

  /** The role named {@code name} ({@code worker}, ...). */
  public static ClientRole named(String name) {
    for (ClientRole role : values()) {
      if (role.roleName.equals(name.toLowerCase(Locale.ROOT))) {
        return role;
      }
    }
    throw new IllegalArgumentException("no Kafka client role named " + name);
  }

  /**
   * One allowed operation on one literally named resource.
   *
   * @param type a topic or a consumer group
   * @param name the topic's or group's name
   * @param operation what is allowed
   */
  public record Permission(ResourceType type, String name, AclOperation operation) {
    static Permission read(String topic) {
      return new Permission(ResourceType.TOPIC, topic, AclOperation.READ);
    }

    static Permission write(String topic) {
      return new Permission(ResourceType.TOPIC, topic, AclOperation.WRITE);
    }

    /** Writing in transactions under this transactional id. */
    static Permission transactionalId(String id) {
      return new Permission(ResourceType.TRANSACTIONAL_ID, id, AclOperation.WRITE);
    }

    /** Joining the group and committing its offsets. */
    static Permission group(String group) {
      return new Permission(ResourceType.GROUP, group, AclOperation.READ);
    }
  }
}
