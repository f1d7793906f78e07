package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The network, tokenizer and sequence layout every policy computation shares, with the padded
 * forward passes they all run and the count of real token positions fed through the network; the
 * built-in network as the {@link TrainableNetwork} its training step trains.
 */
final class PolicyForward implements TrainableNetwork {
  final ModelConfig config;
  final Tokenizer tokenizer;
  final TransformerNetwork network;
  private final AtomicLong forwardTokens = new AtomicLong();

  PolicyForward(ModelConfig config, Tokenizer tokenizer, TransformerNetwork network) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.network = network;
  }

  /** A manager for one call's arrays, on the parameters' device; the caller closes it. */
  NDManager newManager() {
    return network.parameterManager().newSubManager();
  }

  @Override
  public NDManager parameterManager() {
    return network.parameterManager();
  }

  @Override
  public Map<String, NDArray> parameters() {
    return network.parameters();
  }

  @Override
  public int maxContext() {
    return config.maxContext();
  }

  @Override
  public int padId() {
    return tokenizer.padId();
  }

  @Override
  public NDArray logits(NDManager manager, PaddedBatch padded) {
    return logits(manager, padded, null);
  }

  /** Counts {@code tokens} real (non-padding, not cached) positions run through the network. */
  void countTokens(long tokens) {
    forwardTokens.addAndGet(tokens);
  }

  /** Cumulative real token positions run through the network. */
  long forwardTokens() {
    return forwardTokens.get();
  }

  /** {@code [bos] + tokens(prompt) + trace}. */
  @Override
  public int[] context(String prompt, int[] trace) {
    int[] promptTokens = tokenizer.encode(prompt);
    int[] seq = new int[1 + promptTokens.length + trace.length];
    seq[0] = tokenizer.bosId();
    System.arraycopy(promptTokens, 0, seq, 1, promptTokens.length);
    System.arraycopy(trace, 0, seq, 1 + promptTokens.length, trace.length);
    return seq;
  }

  /** (B,W,V) logits of every column of a padded batch, through {@code cache} when not null. */
  private NDArray logits(NDManager manager, PaddedBatch padded, KvCache cache) {
    NDArray logits =
        network.forward(
            network.embedTokens(padded.tokenIds(manager, tokenizer.padId())),
            padded.positionIds(manager),
            padded.attentionBias(manager),
            cache);
    countTokens(padded.realTokens);
    return logits;
  }

  /** Log-softmax over the vocabulary for every column of a padded batch. */
  NDArray fullLogProbs(NDManager manager, PaddedBatch padded, KvCache cache) {
    return logits(manager, padded, cache).logSoftmax(-1);
  }

  /** (B,W) log p(next token) for every column of a padded batch (gradient-tracked in training). */
  NDArray tokenLogProbs(NDManager manager, PaddedBatch padded) {
    return padded.nextTokenLogProbs(manager, logits(manager, padded, null), tokenizer.padId());
  }

  /** The parts one after another. */
  static int[] concat(int[]... parts) {
    int length = 0;
    for (int[] p : parts) {
      length += p.length;
    }
    int[] out = new int[length];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
