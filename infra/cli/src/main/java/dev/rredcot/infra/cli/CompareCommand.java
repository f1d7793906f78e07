package dev.rredcot.infra.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rredcot.infra.compare.CreditComparison;
import dev.rredcot.infra.compare.CreditedSource;
import dev.rredcot.model.service.KafkaClients;
import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot compare A B}: per-segment agreement of two credited outputs of the same rollouts
 * (a replay against the live output, or two replays), matched by rollout id.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description = {
      "Compare two credited outputs of the same rollouts, matched by rollout id: records on each"
          + " side and only on one, and, for segment credit (where both cut the trace at the same"
          + " boundaries) and token advantages, the Spearman rank correlation, the share of equal"
          + " signs and the mean and largest absolute difference; and the largest difference of"
          + " the boundary values.",
      "A side is a topic (credited-rollouts), a range of one (TOPIC@FROM..TO, positions as in"
          + " replay: partition:offset lists or ISO-8601 times, either end may be empty), or the"
          + " Avro files of `replay --out file:PREFIX` (file:PREFIX).",
      "Example: rredcot compare credited-rollouts@0:0..0:500 file:/tmp/mc"
    })
final class CompareCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin BootstrapOption bootstrapOption;

  @Parameters(index = "0", paramLabel = "A", description = "The first credited output.")
  String sideA;

  @Parameters(index = "1", paramLabel = "B", description = "The second credited output.")
  String sideB;

  @Option(names = "--json", description = "Print the comparison as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    CreditedSource a = new CreditedSource(sideA);
    CreditedSource b = new CreditedSource(sideB);
    String bootstrap = null;
    Map<String, String> clientConfig = Map.of();
    if (!a.isFiles() || !b.isFiles()) {
      bootstrap = bootstrapOption.resolve(cli.home());
      clientConfig = KafkaClients.clientConfig().asMap();
    }
    List<CreditedRollout> left = a.read(bootstrap, clientConfig);
    List<CreditedRollout> right = b.read(bootstrap, clientConfig);
    CreditComparison comparison = CreditComparison.of(left, right);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          new ObjectMapper()
              .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
              .writeValueAsString(comparison));
    } else {
      out.printf("A: %s%nB: %s%n", sideA, sideB);
      comparison.lines().forEach(out::println);
    }
    out.flush();
    return 0;
  }
}
