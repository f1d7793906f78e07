package dev.rredcot.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.files.HomeDirectory;
import dev.rredcot.pipelines.value.ModelSettings;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/**
 * {@code --trustedKeys}: the credit job checks checkpoint signatures unless told {@code none}; by
 * default against the key file the trainer writes under $RREDCOT_HOME.
 */
class TrustedKeysOptionTest {
  private static ModelSettings model(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--checkpointDir=/nonexistent-store";
    all[args.length + 1] = "--credit=rredcot";
    return CreditSettings.fromOptions(
            PipelineOptionsFactory.fromArgs(all).withValidation().as(CreditPipelineOptions.class))
        .model();
  }

  @Test
  void byDefaultSignaturesAreRequiredByTheHomesTrainerKey() {
    ModelSettings settings = model();
    assertEquals(
        HomeDirectory.trustedKeys(HomeDirectory.resolve()).toString(), settings.trustedKeys());
    assertTrue(settings.checkpointTrust().requiresSignature());
  }

  @Test
  void aGivenFileIsUsed() {
    ModelSettings settings = model("--trustedKeys=/etc/rredcot/trusted.pub");
    assertEquals("/etc/rredcot/trusted.pub", settings.trustedKeys());
    assertTrue(settings.checkpointTrust().requiresSignature());
  }

  @Test
  void noneTurnsSignatureChecksOff() {
    assertFalse(model("--trustedKeys=none").checkpointTrust().requiresSignature());
  }
}
