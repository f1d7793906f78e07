package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.infra.compare.CreditedSource;
import dev.rredcot.infra.home.RredcotHome;
import dev.rredcot.infra.synthetic.SyntheticRollouts;
import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.files.HomeDirectory;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.Rollout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay as operators use it, without a broker: stored rollouts re-credited from Avro files with
 * two methods, the model-backed one pinned to an older policy version than the newest, then the two
 * outputs compared.
 */
@Tag("slow")
class ReplayPinnedCompareTest {
  @TempDir Path tempDir;

  @Test
  void replaysWithAPinnedPolicyAndComparesTheOutputs() throws Exception {
    RredcotHome home = RredcotHome.at(tempDir.resolve("home"));
    // The store holds versions 0 and 1 (the same weights); the rollouts say version 1 made them.
    // Version 1 is signed as the trainer would sign it, with the home's key the replay trusts.
    CheckpointStore store =
        new CheckpointStore(home.checkpointsDir(), 8)
            .withSigner(CheckpointSigningKey.generateInto(HomeDirectory.signingKey(home.root())));
    try (Policy policy = Policy.load(BuiltInTask.ARITH.materialiseShipped(store))) {
      policy.save(store, 1, 0L, Map.of());
    }
    List<Rollout> rollouts =
        SyntheticRollouts.builder()
            .optSeed(5)
            .optGroupSize(4)
            .optPolicyVersion(1)
            .build()
            .generate(16);
    Path input = tempDir.resolve("rollouts.avro");
    try (DataFileWriter<Rollout> writer =
        new DataFileWriter<>(new SpecificDatumWriter<>(Rollout.class))) {
      writer.create(Rollout.getClassSchema(), input.toFile());
      for (Rollout rollout : rollouts) {
        writer.append(rollout);
      }
    }
    Path grpo = tempDir.resolve("grpo");
    Path pinned = tempDir.resolve("pinned");
    CliRun first = replay(home, input, grpo, "--credit=grpo");
    assertEquals(0, first.exitCode(), first.toString());
    CliRun second =
        replay(
            home,
            input,
            pinned,
            "--credit=rredcot",
            "--policy-version",
            "0",
            "--segmentation=keyword");
    assertEquals(0, second.exitCode(), second.toString());
    assertTrue(second.out().contains("scoring every rollout with policy version 0"), second.out());
    assertTrue(second.out().contains("rredcot-rudder-calibrated / bank / keyword"), second.out());

    List<CreditedRollout> credited = new CreditedSource("file:" + pinned).read(null, Map.of());
    assertEquals(16, credited.size());
    for (CreditedRollout rollout : credited) {
      assertEquals(0L, rollout.getScoringPolicyVersion(), rollout.getRolloutId());
      assertEquals("keyword", rollout.getSegmentation());
    }

    CliRun compare = CliRun.execute(home, "compare", "file:" + grpo, "file:" + pinned, "--json");
    assertEquals(0, compare.exitCode(), compare.toString());
    JsonNode json = new ObjectMapper().readTree(compare.out());
    assertEquals(16, json.get("matched").asLong());
    assertEquals(0, json.get("onlyA").asLong());
    assertEquals(0, json.get("onlyB").asLong());
    assertTrue(json.get("tokens").asLong() > 16, compare.out());
  }

  private static CliRun replay(RredcotHome home, Path input, Path out, String... credit) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "replay",
                "--bootstrap",
                "127.0.0.1:1",
                "--input-files",
                input.toString(),
                "--out",
                "file:" + out,
                "--runner=DirectRunner"));
    args.addAll(List.of(credit));
    return CliRun.execute(home, args.toArray(String[]::new));
  }
}
