package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rredcot.model.backend.DecodeState;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.backend.TokenSampler;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batched sampling of continuations, either with a KV cache (one prefill pass, then one token per
 * step) or by re-running every sequence in full at each step, both drawing rows in request order so
 * a seed gives the same tokens.
 */
final class PolicyGeneration {
  private final PolicyForward forward;
  private final ModelConfig config;
  private final Tokenizer tokenizer;
  private final TransformerNetwork network;
  private final TokenSampler sampler;

  PolicyGeneration(PolicyForward forward) {
    this.forward = forward;
    this.config = forward.config;
    this.tokenizer = forward.tokenizer;
    this.network = forward.network;
    this.sampler =
        new TokenSampler(
            config.vocabSize(),
            new int[] {tokenizer.padId(), tokenizer.bosId()},
            tokenizer.vocabSize());
  }

  /** See {@link Policy#generate}; the caller holds the policy's lock with autograd off. */
  List<Sample> generate(List<GenerationRequest> requests, GenerationOptions options) {
    return options.useKvCache()
        ? generateWithCache(requests, options)
        : generateWithoutCache(requests, options);
  }

  /** One sequence being generated: its context, the tokens so far and why it stopped. */
  private List<Sample> generateWithCache(
      List<GenerationRequest> requests, GenerationOptions options) {
    List<DecodeState> states = new ArrayList<>();
    for (GenerationRequest r : requests) {
      states.add(newState(r));
    }
    SplittableRandom random = new SplittableRandom(options.seed());
    int rows = states.size();
    int vocab = config.vocabSize();
    try (NDManager manager = forward.newManager()) {
      // Identical requests (e.g. M Monte Carlo samples from one prefix) share one prefill pass:
      // source[b] is row b's distinct context, whose cached keys and values it gets a copy of.
      Map<String, Integer> distinctIndex = new HashMap<>();
      List<int[]> distinct = new ArrayList<>();
      long[] source = new long[rows];
      for (int b = 0; b < rows; b++) {
        int[] context = states.get(b).context();
        source[b] =
            distinctIndex.computeIfAbsent(
                Arrays.toString(context),
                key -> {
                  distinct.add(context);
                  return distinct.size() - 1;
                });
      }
      PaddedBatch batch = new PaddedBatch(distinct, config.maxContext());
      int maxColumns = batch.width + options.maxTokens();
      // keyVisible[b][c]: column c of row b holds a real token others may attend to.
      boolean[][] keyVisible = new boolean[rows][maxColumns];
      for (int b = 0; b < rows; b++) {
        for (int c = batch.offsets[(int) source[b]]; c < batch.width; c++) {
          keyVisible[b][c] = true;
        }
      }
      KvCache prefill = new KvCache(config.layers());
      NDArray logits =
          network.forward(
              network.embedTokens(batch.tokenIds(manager, tokenizer.padId())),
              batch.positionIds(manager),
              batch.attentionBias(manager),
              prefill);
      forward.countTokens(batch.realTokens);
      float[] distinctLast = lastColumnLogProbs(logits);
      DecodeCache cache =
          DecodeCache.fromPrefill(
              prefill,
              distinct.size() == rows ? null : manager.create(source),
              maxColumns,
              manager);
      prefill.close();
      TransformerNetwork.HeadMasks masks = network.headMasks(manager);
      float[] last = new float[rows * vocab];
      for (int b = 0; b < rows; b++) {
        System.arraycopy(distinctLast, (int) source[b] * vocab, last, b * vocab, vocab);
      }
      int column = batch.width;
      while (true) {
        long[] next = new long[rows];
        long[] positions = new long[rows];
        long active = 0;
        for (int b = 0; b < rows; b++) {
          DecodeState s = states.get(b);
          if (s.done()) {
            next[b] = tokenizer.padId();
            continue;
          }
          float[] row = Arrays.copyOfRange(last, b * vocab, (b + 1) * vocab);
          int token = sampler.sample(row, options, random);
          s.accept(token, row, options);
          if (!s.done()) {
            next[b] = token;
            positions[b] = s.length() - 1;
            keyVisible[b][column] = true;
            active++;
          } else {
            next[b] = tokenizer.padId();
          }
        }
        if (active == 0) {
          break;
        }
        int keys = column + 1;
        float[] bias = new float[rows * keys];
        boolean masked = false;
        for (int b = 0; b < rows; b++) {
          for (int j = 0; j < keys; j++) {
            if (!keyVisible[b][j]) {
              bias[b * keys + j] = PaddedBatch.MASKED;
              masked = true;
            }
          }
        }
        // Each step's inputs and activations live in their own sub-manager, freed when the step
        // ends; only the KV cache (which belongs to the call's manager) carries over.
        try (NDManager step = manager.newSubManager()) {
          cache.attach(step);
          NDArray ids = step.create(next, new Shape(rows, 1));
          NDArray stepLogits =
              network.decodeStep(
                  network.embedTokens(ids),
                  step.create(positions, new Shape(rows, 1)),
                  // Without padding (one row, or rows of equal length) nothing is masked.
                  masked ? step.create(bias, new Shape(rows, 1, keys)) : null,
                  cache,
                  masks);
          last = lastColumnLogProbs(stepLogits);
          cache.attach(manager);
        }
        forward.countTokens(active);
        column++;
      }
    }
    return states.stream().map(DecodeState::toSample).toList();
  }

  private List<Sample> generateWithoutCache(
      List<GenerationRequest> requests, GenerationOptions options) {
    List<DecodeState> states = new ArrayList<>();
    for (GenerationRequest r : requests) {
      states.add(newState(r));
    }
    SplittableRandom random = new SplittableRandom(options.seed());
    int vocab = config.vocabSize();
    while (true) {
      List<DecodeState> active = states.stream().filter(s -> !s.done()).toList();
      if (active.isEmpty()) {
        break;
      }
      float[] last;
      try (NDManager manager = forward.newManager()) {
        PaddedBatch batch =
            new PaddedBatch(
                active.stream().map(DecodeState::sequence).toList(), config.maxContext());
        NDArray logits =
            network.forward(
                network.embedTokens(batch.tokenIds(manager, tokenizer.padId())),
                batch.positionIds(manager),
                batch.attentionBias(manager),
                null);
        forward.countTokens(batch.realTokens);
        last = lastColumnLogProbs(logits);
      }
      // Rows are sampled in request order in both modes, so a seed gives the same draws.
      for (int a = 0; a < active.size(); a++) {
        float[] row = Arrays.copyOfRange(last, a * vocab, (a + 1) * vocab);
        active.get(a).accept(sampler.sample(row, options, random), row, options);
      }
    }
    return states.stream().map(DecodeState::toSample).toList();
  }

  /** (B*V) log-softmax of each row's last column of logits (B,T,V). */
  private static float[] lastColumnLogProbs(NDArray logits) {
    long width = logits.getShape().get(1);
    // A decode step's logits (B,1,V) are their last column already.
    NDArray last = width == 1 ? logits : logits.get(":, {}, :", width - 1);
    return last.logSoftmax(-1).toFloatArray();
  }

  private DecodeState newState(GenerationRequest request) {
    return new DecodeState(
        forward.context(request.prompt(), request.forcedPrefixTokens()),
        request.forcedPrefixTokens(),
        tokenizer,
        config.maxContext());
  }
}
