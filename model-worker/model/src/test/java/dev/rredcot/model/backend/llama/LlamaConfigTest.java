package dev.rredcot.model.backend.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The config.json fields that differ across the Llama family, and the errors that name a field. */
class LlamaConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode llama() {
    ObjectNode c = JSON.createObjectNode();
    c.put("model_type", "llama");
    c.put("hidden_size", 64);
    c.put("intermediate_size", 128);
    c.put("num_hidden_layers", 2);
    c.put("num_attention_heads", 8);
    c.put("num_key_value_heads", 2);
    c.put("vocab_size", 100);
    c.put("max_position_embeddings", 512);
    return c;
  }

  @Test
  void readsTheFamilysFieldsWithHuggingFacesDefaults() throws IOException {
    LlamaConfig defaults = LlamaConfig.fromHuggingFace(llama());
    assertEquals(2, defaults.kvHeads());
    assertEquals(10000, defaults.ropeTheta());
    assertEquals(1e-6, defaults.normEps());
    assertEquals(1, defaults.ropeScaling());
    assertEquals(false, defaults.tiedOutput());
    assertEquals(LlamaConfig.RopeConvention.HALF, defaults.rope());
    ObjectNode c = llama();
    c.put("rope_theta", 500000.0);
    c.put("rms_norm_eps", 1e-5);
    c.put("tie_word_embeddings", true);
    c.putObject("rope_scaling").put("rope_type", "linear").put("factor", 4.0);
    c.put(LlamaConfig.ROPE_CONVENTION_FIELD, "interleaved");
    LlamaConfig read = LlamaConfig.fromHuggingFace(c);
    assertEquals(500000, read.ropeTheta());
    assertEquals(1e-5, read.normEps());
    assertEquals(4, read.ropeScaling());
    assertTrue(read.tiedOutput());
    assertEquals(LlamaConfig.RopeConvention.INTERLEAVED, read.rope());
    assertEquals(read, LlamaConfig.fromHuggingFace(read.toHuggingFace()));
  }

  @Test
  void refusesUnsupportedValuesNamingTheField() {
    assertRefused("rope_scaling", c -> c.putObject("rope_scaling").put("rope_type", "yarn"));
    assertRefused("model_type", c -> c.put("model_type", "gpt2"));
    assertRefused("hidden_act", c -> c.put("hidden_act", "gelu"));
    assertRefused("attention_bias", c -> c.put("attention_bias", true));
    assertRefused("mlp_bias", c -> c.put("mlp_bias", true));
    assertRefused("head_dim", c -> c.put("head_dim", 16));
    assertRefused("num_hidden_layers", c -> c.remove("num_hidden_layers"));
    assertRefused("use_sliding_window", c -> c.put("use_sliding_window", true));
  }

  private static void assertRefused(String field, java.util.function.Consumer<ObjectNode> edit) {
    ObjectNode c = llama();
    edit.accept(c);
    IOException e = assertThrows(IOException.class, () -> LlamaConfig.fromHuggingFace(c), field);
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }
}
