package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Regenerates the shipped initial policy (about 5-8 minutes on 2 cores); runs only with {@code
 * -Drredcot.regenerate.initialPolicy=true}. Afterwards set {@link InitialPolicy#MANIFEST_SHA256} to
 * the logged digest.
 */
class InitialPolicyRegeneration {

  private static final Logger LOG = LoggerFactory.getLogger(InitialPolicyRegeneration.class);

  @Test
  @EnabledIfSystemProperty(named = "rredcot.regenerate.initialPolicy", matches = "true")
  void regenerateTheShippedInitialPolicy() throws Exception {
    Path store = Files.createTempDirectory("rredcot-pretrain");
    PretrainResult result =
        Pretrainer.run(
            PretrainOptions.builder().optOutput(new CheckpointStore(store, 1), 0).build());
    InitialPolicy.export(
        result.checkpoint(), Path.of("src/main/resources/dev/rredcot/model/initial-policy"));
    LOG.info(
        "initial policy regenerated: {}; MANIFEST_SHA256 = {}",
        result,
        result.checkpoint().manifestSha256());
  }
}
