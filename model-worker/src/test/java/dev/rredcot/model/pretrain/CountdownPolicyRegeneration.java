package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Path store = Files.createTempDirectory("rredcot-pretrain-countdown");
    PretrainResult result =
        Pretrainer.run(
            PretrainOptions.countdownBuilder().optOutput(new CheckpointStore(store, 1), 0).build());
    InitialPolicy.export(
        result.checkpoint(), Path.of("src/main/resources/dev/rredcot/model/countdown-policy"));
    LOG.info(
        "countdown policy regenerated: {}; MANIFEST_SHA256 = {}",
        result,
        result.checkpoint().manifestSha256());
  }
}
