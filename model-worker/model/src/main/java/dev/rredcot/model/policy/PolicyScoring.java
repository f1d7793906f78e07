package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.TraceScore;
import java.util.ArrayList;
import java.util.List;

/** Teacher-forced log-probabilities and entropies of trace tokens, one padded pass per batch. */
final class PolicyScoring {
  private final PolicyForward forward;

  PolicyScoring(PolicyForward forward) {
    this.forward = forward;
  }

  /** See {@link Policy#score}; the caller holds the policy's lock with autograd off. */
  List<TraceScore> score(List<ScoreRequest> batch) {
    List<int[]> seqs = new ArrayList<>();
    for (ScoreRequest r : batch) {
      if (r.traceTokens().length == 0) {
        throw new IllegalArgumentException("cannot score an empty trace");
      }
      seqs.add(forward.context(r.prompt(), r.traceTokens()));
    }
    try (NDManager manager = forward.newManager()) {
      PaddedBatch padded = new PaddedBatch(seqs, forward.config.maxContext());
      NDArray logProbs = forward.fullLogProbs(manager, padded, null);
      float[] tokenLp =
          logProbs
              .gather(
                  padded.nextTokenTargets(manager, forward.tokenizer.padId()).expandDims(-1), -1)
              .squeeze(-1)
              .toFloatArray();
      float[] ent = logProbs.exp().mul(logProbs).sum(new int[] {-1}).neg().toFloatArray();
      List<TraceScore> out = new ArrayList<>();
      for (int b = 0; b < batch.size(); b++) {
        int traceLength = batch.get(b).traceTokens().length;
        int first = seqs.get(b).length - traceLength;
        float[] lp = new float[traceLength];
        float[] h = new float[traceLength];
        for (int j = 0; j < traceLength; j++) {
          // Token at sequence index first+j is predicted at column of index first+j-1.
          int col = padded.column(b, first + j - 1);
          lp[j] = tokenLp[b * padded.width + col];
          h[j] = ent[b * padded.width + col];
        }
        out.add(new TraceScore(lp, h));
      }
      return out;
    }
  }
}
