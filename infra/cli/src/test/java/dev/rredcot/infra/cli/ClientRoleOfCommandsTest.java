package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.kafka.ClientRole;
import dev.rredcot.pipelines.KafkaOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Each command's Kafka clients log in as the role whose ACLs fit it, and the consumer groups the
 * roles' ACLs name are the ones the commands use by default (a renamed default would be refused by
 * a secured broker).
 */
class ClientRoleOfCommandsTest {
  private static final CommandLine CLI =
      RredcotCli.commandLine(RredcotHome.at(Path.of("/nonexistent-rredcot-home")));

  @Test
  void servicesActAsTheirRolesAndEveryOtherCommandAsTheAdmin() {
    Map<String, ClientRole> roles = new TreeMap<>();
    for (Map.Entry<String, CommandLine> command : CLI.getSubcommands().entrySet()) {
      for (Object mixin : command.getValue().getMixins().values()) {
        if (mixin instanceof BootstrapOption option) {
          roles.put(command.getKey(), option.role());
        }
      }
    }
    Map<String, ClientRole> expected = new TreeMap<>();
    for (String command : roles.keySet()) {
      expected.put(command, ClientRole.ADMIN);
    }
    expected.put("feeder", ClientRole.FEEDER);
    expected.put("worker", ClientRole.WORKER);
    expected.put("produce-rollouts", ClientRole.WORKER);
    expected.put("trainer", ClientRole.TRAINER);
    expected.put("pipeline", ClientRole.CREDIT);
    assertEquals(expected, roles);
    // Not an empty comparison: the operator tools are there too.
    assertEquals(ClientRole.ADMIN, roles.get("tail"));
    assertEquals(ClientRole.ADMIN, roles.get("status"));
    assertEquals(ClientRole.ADMIN, roles.get("replay"));
  }

  @Test
  void theRolesGroupsAreTheCommandsDefaultGroups() {
    assertEquals(ClientRole.WORKER_GROUP, defaultOf("worker", "--group"));
    assertEquals(ClientRole.TRAINER_GROUP, defaultOf("trainer", "--group"));
    assertEquals(
        ClientRole.CREDIT_GROUP,
        PipelineOptionsFactory.create().as(KafkaOptions.class).getConsumerGroupId());
  }

  private static String defaultOf(String command, String option) {
    return CLI.getSubcommands().get(command).getCommandSpec().findOption(option).defaultValue();
  }
}
