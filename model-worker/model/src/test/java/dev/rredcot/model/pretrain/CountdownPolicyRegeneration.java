package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Regenerates the shipped countdown initial policy; runs only with {@code
 * -Drredcot.regenerate.countdownPolicy=true}. Afterwards set {@link
 * CountdownInitialPolicy#MANIFEST_SHA256} to the logged digest.
 */
class CountdownPolicyRegeneration {

  private static final Logger LOG = LoggerFactory.getLogger(CountdownPolicyRegeneration.class);

  @Test
  @EnabledIfSystemProperty(named = "rredcot.regenerate.countdownPolicy", matches = "true")
  void regenerateTheShippedCountdownPolicy() throws Exception {
    Path stageOneStore = Files.createTempDirectory("rredcot-pretrain-countdown-1");
    PretrainResult stageOne =
        Pretrainer.run(
            PretrainOptions.countdownBuilder()
                .optOutput(new CheckpointStore(stageOneStore, 1), 0)
                .build());
    Path stageTwoStore = Files.createTempDirectory("rredcot-pretrain-countdown-2");
    CheckpointStore snapshots = new CheckpointStore(stageTwoStore, 100);
    Pretrainer.run(
        PretrainOptions.countdownStageTwoBuilder(stageOne.checkpoint())
            .optOutput(snapshots, 0)
            .build());
    Checkpoint shipped = snapshots.load(PretrainOptions.COUNTDOWN_STAGE_TWO_SHIPPED_STEP);
    // The shipped checkpoint is version 0 of a store: the snapshot's weights saved again as 0.
    Path exportStore = Files.createTempDirectory("rredcot-pretrain-countdown-export");
    try (Policy policy = Policy.load(shipped)) {
      Checkpoint version0 =
          policy.save(
              new CheckpointStore(exportStore, 1), 0, null, new TreeMap<>(shipped.metrics()));
      InitialPolicy.export(
          version0, Path.of("src/main/resources/dev/rredcot/model/countdown-policy"));
      LOG.info(
          "countdown policy regenerated: stage one {}; MANIFEST_SHA256 = {}",
          stageOne,
          version0.manifestSha256());
    }
  }
}
