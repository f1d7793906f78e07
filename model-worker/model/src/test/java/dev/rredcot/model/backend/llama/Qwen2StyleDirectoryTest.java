package dev.rredcot.model.backend.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.ScoreRequest;
import dev.rredcot.model.backend.ValueRequest;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.tokenizer.ChatTemplate;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small random Qwen2-style Hugging Face directory written by the test: q/k/v biases, untied
 * output, rope theta and linear scaling from config.json, weights in two BF16 shards, a {@code
 * tokenizer.json} without a beginning-of-sequence token and a chat template. Random weights have no
 * reference numbers, so the oracles are the model itself: one pass against the KV cache, and the
 * prompt's effect on the context.
 */
class Qwen2StyleDirectoryTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void scoresWithoutBosInsideTheChatTemplateAndAgreesWithItsKvCache() throws Exception {
    writeDirectory(dir, true);
    try (LlamaCausalLm lm = LlamaCausalLm.openHuggingFace(dir)) {
      assertTrue(lm.config().qkvBias());
      assertFalse(lm.config().tiedOutput());
      assertFalse(lm.tokenizer().addsBos());
      assertEquals(2.0, lm.config().ropeScaling());
      // "<s>" wraps the prompt: 1 template token + 3 prompt characters, no bos prepended.
      int[] prompt = lm.tokenizer().encode("1+2");
      assertEquals(1 + prompt.length + 4, lm.contextLength("1+2", 4));
      int[] trace = lm.tokenizer().encode("=3\nA: 3\n");
      float[] onePass = lm.logProbs(List.of(new ScoreRequest("1+2", trace))).get(0);
      int[] sequence = new int[1 + prompt.length + trace.length];
      sequence[0] = lm.tokenizer().encode("<s>")[0];
      System.arraycopy(prompt, 0, sequence, 1, prompt.length);
      System.arraycopy(trace, 0, sequence, 1 + prompt.length, trace.length);
      float[] cached = lm.logProbsOneTokenAtATime(sequence);
      for (int j = 0; j < trace.length; j++) {
        assertEquals(cached[cached.length - trace.length + j], onePass[j], 1e-5, "token " + j);
      }
      ValueRequest values = new ValueRequest("1+2", trace, new int[] {0, 2, 5}, "A: ", "3\n");
      assertArrayEquals(
          lm.answerValues(List.of(values), false).get(0),
          lm.answerValues(List.of(values), true).get(0),
          1e-6);
    }
  }

  @Test
  void theChatTemplateChangesWhatIsScored() throws Exception {
    Path plain = Files.createDirectory(dir.resolve("plain"));
    Path chat = Files.createDirectory(dir.resolve("chat"));
    writeDirectory(plain, false);
    writeDirectory(chat, true);
    try (LlamaCausalLm withoutTemplate = LlamaCausalLm.openHuggingFace(plain);
        LlamaCausalLm withTemplate = LlamaCausalLm.openHuggingFace(chat)) {
      int[] trace = withTemplate.tokenizer().encode("=3");
      ScoreRequest request = new ScoreRequest("1+2", trace);
      assertNotEquals(
          withoutTemplate.logProbs(List.of(request)).get(0)[0],
          withTemplate.logProbs(List.of(request)).get(0)[0]);
      assertEquals(
          withoutTemplate.contextLength("1+2", 2) + 1, withTemplate.contextLength("1+2", 2));
    }
  }

  @Test
  void generatesTheSameGreedyTextWithAndWithoutTheCache() throws Exception {
    writeDirectory(dir, true);
    try (LlamaCausalLm lm = LlamaCausalLm.openHuggingFace(dir)) {
      String[] texts = new String[2];
      for (int i = 0; i < 2; i++) {
        GenerationOptions options =
            GenerationOptions.builder()
                .optTemperature(0)
                .optMaxTokens(12)
                .optUseKvCache(i == 0)
                .build();
        texts[i] =
            lm
                .generate(List.of(GenerationRequest.of("1+2"), GenerationRequest.of("7")), options)
                .stream()
                .map(s -> s.text())
                .reduce("", (a, b) -> a + "|" + b);
      }
      assertEquals(texts[1], texts[0]);
    }
  }

  @Test
  void aSavedDirectoryKeepsTheTokenizerJsonTheTemplateAndTheScores() throws Exception {
    // The tokenizer.json path of save: what the trainer writes after a step must open again as the
    // same model, with the same BOS-less tokenizer and chat template.
    Path source = Files.createDirectory(dir.resolve("source"));
    writeDirectory(source, true);
    try (LlamaCausalLm lm = LlamaCausalLm.openHuggingFace(source)) {
      Checkpoint saved = lm.save(new CheckpointStore(dir.resolve("store"), 4), 1, null, Map.of());
      assertTrue(Files.isRegularFile(saved.dir().resolve("tokenizer.json")));
      CheckpointStore.verify(saved.dir());
      try (LlamaCausalLm reopened = LlamaCausalLm.openHuggingFace(saved.dir())) {
        assertEquals(lm.config().qkvBias(), reopened.config().qkvBias());
        assertEquals(lm.config().tiedOutput(), reopened.config().tiedOutput());
        assertEquals(lm.config().ropeScaling(), reopened.config().ropeScaling());
        assertFalse(reopened.tokenizer().addsBos());
        String text = "=3\nA: 3\n";
        assertArrayEquals(lm.tokenizer().encode(text), reopened.tokenizer().encode(text));
        assertEquals(lm.contextLength("1+2", 4), reopened.contextLength("1+2", 4));
        ScoreRequest request = new ScoreRequest("1+2", lm.tokenizer().encode(text));
        assertArrayEquals(
            lm.logProbs(List.of(request)).get(0),
            reopened.logProbs(List.of(request)).get(0),
            1e-6f);
      }
    }
  }

  /** Writes a 2-layer Qwen2-style model over the fixture tokenizer into {@code into}. */
  static void writeDirectory(Path into, boolean withChatTemplate)
      throws IOException, URISyntaxException {
    Path fixture =
        Path.of(Qwen2StyleDirectoryTest.class.getResource("/fixtures/tiny-causal-lm").toURI());
    Files.copy(fixture.resolve("tokenizer.json"), into.resolve("tokenizer.json"));
    ObjectNode tokenizerConfig = JSON.createObjectNode();
    tokenizerConfig.putNull("bos_token");
    tokenizerConfig.put("eos_token", "</s>");
    tokenizerConfig.put("pad_token", "<pad>");
    JSON.writeValue(into.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
    if (withChatTemplate) {
      Files.writeString(into.resolve(ChatTemplate.FILE_NAME), "<s>{prompt}");
    }
    int dim = 16;
    int hidden = 24;
    int heads = 4;
    int kvHeads = 2;
    int vocab = 26;
    int kvDim = kvHeads * dim / heads;
    ObjectNode config = JSON.createObjectNode();
    config.put("model_type", "qwen2");
    config.put("hidden_size", dim);
    config.put("intermediate_size", hidden);
    config.put("num_hidden_layers", 2);
    config.put("num_attention_heads", heads);
    config.put("num_key_value_heads", kvHeads);
    config.put("vocab_size", vocab);
    config.put("max_position_embeddings", 64);
    config.put("rms_norm_eps", 1e-6);
    config.put("rope_theta", 1000000.0);
    config.putObject("rope_scaling").put("type", "linear").put("factor", 2.0);
    config.put("tie_word_embeddings", false);
    config.put("hidden_act", "silu");
    JSON.writeValue(into.resolve("config.json").toFile(), config);
    Random random = new Random(7);
    Map<String, HostTensor> first = new LinkedHashMap<>();
    Map<String, HostTensor> second = new LinkedHashMap<>();
    first.put(LlamaCheckpoint.EMBEDDING, randomTensor(random, 1, vocab, dim));
    second.put(LlamaCheckpoint.OUTPUT, randomTensor(random, 0.3, vocab, dim));
    second.put(LlamaCheckpoint.FINAL_NORM, ones(dim));
    for (int l = 0; l < 2; l++) {
      Map<String, HostTensor> shard = l == 0 ? first : second;
      shard.put(LlamaCheckpoint.layer(l, "input_layernorm.weight"), ones(dim));
      shard.put(LlamaCheckpoint.layer(l, "post_attention_layernorm.weight"), ones(dim));
      shard.put(
          LlamaCheckpoint.layer(l, "self_attn.q_proj.weight"), randomTensor(random, 0.3, dim, dim));
      shard.put(
          LlamaCheckpoint.layer(l, "self_attn.k_proj.weight"),
          randomTensor(random, 0.3, kvDim, dim));
      shard.put(
          LlamaCheckpoint.layer(l, "self_attn.v_proj.weight"),
          randomTensor(random, 0.3, kvDim, dim));
      shard.put(LlamaCheckpoint.layer(l, "self_attn.q_proj.bias"), randomTensor(random, 0.3, dim));
      shard.put(
          LlamaCheckpoint.layer(l, "self_attn.k_proj.bias"), randomTensor(random, 0.3, kvDim));
      shard.put(
          LlamaCheckpoint.layer(l, "self_attn.v_proj.bias"), randomTensor(random, 0.3, kvDim));
      shard.put(
          LlamaCheckpoint.layer(l, "self_attn.o_proj.weight"), randomTensor(random, 0.3, dim, dim));
      shard.put(
          LlamaCheckpoint.layer(l, "mlp.gate_proj.weight"), randomTensor(random, 0.3, hidden, dim));
      shard.put(
          LlamaCheckpoint.layer(l, "mlp.up_proj.weight"), randomTensor(random, 0.3, hidden, dim));
      shard.put(
          LlamaCheckpoint.layer(l, "mlp.down_proj.weight"), randomTensor(random, 0.3, dim, hidden));
    }
    SafetensorsTest.writeHalfPrecision(
        into.resolve("model-00001-of-00002.safetensors"), first, "BF16");
    SafetensorsTest.writeHalfPrecision(
        into.resolve("model-00002-of-00002.safetensors"), second, "BF16");
    ObjectNode index = JSON.createObjectNode();
    ObjectNode weightMap = index.putObject("weight_map");
    first.keySet().forEach(k -> weightMap.put(k, "model-00001-of-00002.safetensors"));
    second.keySet().forEach(k -> weightMap.put(k, "model-00002-of-00002.safetensors"));
    JSON.writeValue(into.resolve(Safetensors.INDEX_FILE).toFile(), index);
  }

  private static HostTensor randomTensor(Random random, double scale, long... shape) {
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    float[] values = new float[(int) size];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * scale);
    }
    return new HostTensor(shape, values);
  }

  private static HostTensor ones(int n) {
    float[] values = new float[n];
    java.util.Arrays.fill(values, 1f);
    return new HostTensor(new long[] {n}, values);
  }
}
