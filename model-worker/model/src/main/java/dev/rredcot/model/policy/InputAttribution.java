package dev.rredcot.model.policy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rredcot.model.backend.TorchEngine;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient-times-input attribution of the answer's log-probability to the trace tokens' embeddings,
 * one backward pass per batch that leaves the parameters' gradients zeroed.
 */
final class InputAttribution {
  private final PolicyForward forward;
  private final ModelConfig config;
  private final Tokenizer tokenizer;
  private final TransformerNetwork network;

  InputAttribution(PolicyForward forward) {
    this.forward = forward;
    this.config = forward.config;
    this.tokenizer = forward.tokenizer;
    this.network = forward.network;
  }

  /**
   * See {@link Policy#gradientTimesInput}; the caller holds the policy's lock and the JVM-wide
   * gradient lock, with autograd off outside the collector.
   */
  List<double[]> gradientTimesInput(List<ValueRequest> batch) {
    List<int[]> seqs = new ArrayList<>();
    int[] answerStart = new int[batch.size()];
    for (int b = 0; b < batch.size(); b++) {
      ValueRequest r = batch.get(b);
      int[] answer = tokenizer.encode(r.answer());
      int[] seq =
          PolicyForward.concat(
              forward.context(r.prompt(), r.traceTokens()),
              tokenizer.encode(r.answerCue()),
              answer);
      answerStart[b] = seq.length - answer.length;
      seqs.add(seq);
    }
    try (NDManager manager = forward.newManager()) {
      PaddedBatch padded = new PaddedBatch(seqs, config.maxContext());
      float[] answerMask = new float[padded.rows() * padded.width];
      for (int b = 0; b < padded.rows(); b++) {
        for (int i = answerStart[b]; i < seqs.get(b).length; i++) {
          answerMask[b * padded.width + padded.column(b, i - 1)] = 1f;
        }
      }
      NDArray embeddings =
          network.embedTokens(padded.tokenIds(manager, tokenizer.padId())).stopGradient();
      embeddings.setRequiresGradient(true);
      NDArray gradient;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray logits =
            network.forward(
                embeddings, padded.positionIds(manager), padded.attentionBias(manager), null);
        forward.countTokens(padded.realTokens);
        NDArray answerLogProb =
            logits
                .logSoftmax(-1)
                .gather(padded.nextTokenTargets(manager, tokenizer.padId()).expandDims(-1), -1)
                .squeeze(-1)
                .mul(manager.create(answerMask, new Shape(padded.rows(), padded.width)))
                .sum();
        collector.backward(answerLogProb);
        gradient = embeddings.getGradient();
        gradient.attach(manager);
      } finally {
        TorchEngine.zeroGradients(network.parameters().values());
      }
      float[] gxi = gradient.mul(embeddings).sum(new int[] {-1}).toFloatArray();
      List<double[]> out = new ArrayList<>();
      for (int b = 0; b < batch.size(); b++) {
        int traceLength = batch.get(b).traceTokens().length;
        int first = forward.context(batch.get(b).prompt(), new int[0]).length;
        double[] values = new double[traceLength];
        for (int j = 0; j < traceLength; j++) {
          values[j] = gxi[b * padded.width + padded.column(b, first + j)];
        }
        out.add(values);
      }
      return out;
    }
  }
}
