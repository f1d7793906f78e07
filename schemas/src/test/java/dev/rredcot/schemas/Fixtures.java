package dev.rredcot.schemas;

import java.util.List;
import java.util.Map;

/** Small valid records for schema tests. */
final class Fixtures {
  private Fixtures() {}

  static Rollout rollout(String id) {
    return Rollout.newBuilder()
        .setRolloutId(id)
        .setPromptId("p-1")
        .setGroupId("g-1")
        .setSampleIndex(0)
        .setGroupSize(4)
        .setPolicyVersion(3L)
        .setTaskFamily("arith")
        .setPromptText("Q: 37+25-18\n")
        .setTokenIds(List.of(5, 9, 2))
        .setText("37+25=62\n62-18=44\nA: 44")
        .setLogProbs(List.of(-0.1f, -0.2f, -0.3f))
        .setEntropies(null)
        .setExtractedAnswer("44")
        .setReferenceAnswer("44")
        .setReferenceSolution(null)
        .setReward(1.0)
        .setCreatedAtMs(java.time.Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }

  static PolicyCheckpoint checkpoint() {
    return PolicyCheckpoint.newBuilder()
        .setVersion(2L)
        .setParentVersion(1L)
        .setUri("file:///tmp/ckpt/v2")
        .setManifestSha256("ab".repeat(32))
        .setCreatedAtMs(java.time.Instant.ofEpochMilli(1L))
        .setMetrics(Map.of("loss", 0.5))
        .build();
  }
}
