package dev.rredcot.model.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.pretrain.InitialPolicy;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embeddings by index lookup give what the former one-hot matrix products gave, so checkpoints
 * written before (same parameter shapes) load unchanged and score the same log-probabilities.
 */
class EmbeddingLookupTest {

  @TempDir Path store;

  @Test
  void lookedUpRowsEqualOneHotTimesTheTable() {
    CharTokenizer tokenizer = CharTokenizer.arithmetic();
    ModelConfig config = new ModelConfig(tokenizer.vocabSize(), 32, 2, 1, 64, 48);
    try (Policy policy = Policy.create(config, tokenizer, 4);
        NDManager manager = policy.network().parameterManager().newSubManager()) {
      TransformerNetwork network = policy.network();
      NDArray ids =
          manager.create(new long[] {0, 3, 7, 3, 1, tokenizer.vocabSize() - 1}, new Shape(2, 3));
      NDArray positions = manager.create(new long[] {0, 1, 2, 45, 46, 47}, new Shape(2, 3));
      assertArrayEquals(
          ids.oneHot(config.vocabSize(), DataType.FLOAT32)
              .matMul(network.parameters().get("tok_emb"))
              .toFloatArray(),
          network.embedTokens(ids).toFloatArray(),
          1e-6f);
      assertArrayEquals(
          positions
              .oneHot(config.maxContext(), DataType.FLOAT32)
              .matMul(network.parameters().get("pos_emb"))
              .toFloatArray(),
          network.embedPositions(positions).toFloatArray(),
          1e-6f);
    }
  }

  @Test
  void theShippedPolicyLoadsAndScoresAsWithOneHotTokenEmbeddings() throws IOException {
    try (Policy policy = Policy.load(InitialPolicy.materialise(new CheckpointStore(store, 3)))) {
      String prompt = "Q: 3-5+3-1+9\n";
      int[] trace = policy.tokenizer().encode("3-5=-2\n-2+3=1\n1-1=0\n0+9=9\nA: 9\n");
      float[] scored = policy.score(List.of(new ScoreRequest(prompt, trace))).get(0).logProbs();
      int[] sequence = policy.context(prompt, trace);
      TransformerNetwork network = policy.network();
      try (NDManager manager = network.parameterManager().newSubManager()) {
        PaddedBatch padded = new PaddedBatch(List.of(sequence), policy.config().maxContext());
        NDArray oneHot =
            padded
                .tokenIds(manager, policy.tokenizer().padId())
                .oneHot(policy.config().vocabSize(), DataType.FLOAT32)
                .matMul(network.parameters().get("tok_emb"));
        float[] logProbs =
            network
                .forward(oneHot, padded.positionIds(manager), padded.attentionBias(manager), null)
                .logSoftmax(-1)
                .toFloatArray();
        int vocab = policy.config().vocabSize();
        int first = sequence.length - trace.length;
        assertEquals(trace.length, scored.length);
        for (int j = 0; j < trace.length; j++) {
          float expected = logProbs[(first + j - 1) * vocab + trace[j]];
          assertEquals(expected, scored[j], 1e-5f, "token " + j);
        }
      }
    }
  }
}
