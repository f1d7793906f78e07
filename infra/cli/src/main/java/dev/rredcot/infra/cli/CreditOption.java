package dev.rredcot.infra.cli;

import picocli.CommandLine.Option;

/**
 * The credit choice of a credit-job command ({@code pipeline}, {@code replay}): the {@code
 * --credit} preset and the pinned scoring policy version, as the job's Beam options.
 */
public final class CreditOption {
  @Option(
      names = "--credit",
      defaultValue = "rredcot",
      description =
          "Credit preset: grpo, rredcot (default) or mc; an explicit --credit-method,"
              + " --value-estimator or --segmentation wins over it.")
  String credit;

  @Option(
      names = "--policy-version",
      paramLabel = "V",
      description =
          "Score every rollout with exactly policy version V of --store (fails when the"
              + " store does not hold it); default: each rollout's generating version while held,"
              + " else the newest.")
  Long policyVersion;

  /** Sets the preset and, when given, the pinned version on the job's arguments; returns them. */
  BeamJobArgs apply(BeamJobArgs job) {
    job.withOverride("credit", credit);
    if (policyVersion != null) {
      job.withOverride("policyVersion", policyVersion);
    }
    return job;
  }
}
