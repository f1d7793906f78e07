package dev.rredcot.model.backend.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rredcot.model.tokenizer.HuggingFaceTokenizerAdapter;
import dev.rredcot.model.tokenizer.SentencePieceCharTokenizer;
import dev.rredcot.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Hugging Face model directory of the Llama family, read and written by the project: {@code
 * config.json}, {@code model.safetensors} (or shards listed in {@code
 * model.safetensors.index.json}) and a tokenizer — {@code tokenizer.json} with the special tokens
 * of {@code tokenizer_config.json}, or a character-level sentencepiece {@code tokenizer.model}.
 */
public final class HuggingFaceLlama {

  /** The configuration file. */
  public static final String CONFIG_FILE = "config.json";

  /** Special tokens of a {@code tokenizer.json}: bos (null for Qwen), eos, pad. */
  public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private HuggingFaceLlama() {}

  /** Whether {@code dir} looks like a Hugging Face model directory (by file names). */
  public static boolean recognises(Path dir) {
    return Files.isRegularFile(dir.resolve(CONFIG_FILE))
        && (Files.isRegularFile(dir.resolve(Safetensors.SINGLE_FILE))
            || Files.isRegularFile(dir.resolve(Safetensors.INDEX_FILE)));
  }

  /**
   * Reads the configuration and the weights of {@code dir}.
   *
   * @throws IOException naming the field, tensor or file that is missing or not supported
   */
  public static LlamaCheckpoint read(Path dir) throws IOException {
    JsonNode config = JSON.readTree(dir.resolve(CONFIG_FILE).toFile());
    LlamaConfig llama;
    try {
      llama = LlamaConfig.fromHuggingFace(config);
    } catch (IOException e) {
      throw new IOException(dir + ": " + e.getMessage(), e);
    }
    Map<String, HostTensor> tensors = Safetensors.readModel(dir);
    try {
      return new LlamaCheckpoint(llama, tensors).validate();
    } catch (IOException e) {
      throw new IOException(dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The tokenizer of {@code dir}: {@code tokenizer.json} (without bos when {@code
   * tokenizer_config.json} names none or sets {@code add_bos_token} false), else a character-level
   * sentencepiece {@code tokenizer.model}.
   *
   * @throws IOException when neither is present or readable
   */
  public static Tokenizer tokenizer(Path dir) throws IOException {
    Path json = dir.resolve(HuggingFaceTokenizerAdapter.FILE_NAME);
    if (Files.isRegularFile(json)) {
      JsonNode specials = JSON.createObjectNode();
      if (Files.isRegularFile(dir.resolve(TOKENIZER_CONFIG_FILE))) {
        specials = JSON.readTree(dir.resolve(TOKENIZER_CONFIG_FILE).toFile());
      }
      String bos = tokenName(specials.get("bos_token"));
      String eos = tokenName(specials.get("eos_token"));
      String pad = tokenName(specials.get("pad_token"));
      if (pad == null) {
        pad = tokenName(specials.get("unk_token"));
      }
      boolean addsBos = specials.path("add_bos_token").asBoolean(bos != null);
      if (!specials.isEmpty() && !addsBos) {
        return HuggingFaceTokenizerAdapter.openWithoutBos(json, pad, eos);
      }
      return HuggingFaceTokenizerAdapter.open(json, pad, bos, eos);
    }
    Path sentencePiece = dir.resolve(SentencePieceCharTokenizer.FILE_NAME);
    if (Files.isRegularFile(sentencePiece)) {
      return SentencePieceCharTokenizer.read(sentencePiece);
    }
    throw new IOException(
        dir
            + ": no tokenizer: expected "
            + HuggingFaceTokenizerAdapter.FILE_NAME
            + " or "
            + SentencePieceCharTokenizer.FILE_NAME);
  }

  /** A special token as {@code tokenizer_config.json} writes it: a string or {content: ...}. */
  private static String tokenName(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    return node.isTextual() ? node.asText() : node.path("content").asText(null);
  }

  /**
   * Writes {@code checkpoint} as a Hugging Face directory: {@code config.json}, {@code
   * model.safetensors} (F32, in shards with an index beyond {@link
   * Safetensors#DEFAULT_MAX_SHARD_BYTES}; q/k rows permuted to Hugging Face's rotary convention, no
   * {@code lm_head.weight} when tied) and the tokenizer's own files.
   *
   * @param dir an existing, empty directory
   * @throws IOException when a file cannot be written
   */
  public static void write(Path dir, LlamaCheckpoint checkpoint, Tokenizer tokenizer)
      throws IOException {
    LlamaCheckpoint hf = checkpoint.withHalfRope().validate();
    Files.write(
        dir.resolve(CONFIG_FILE),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(hf.config().toHuggingFace()));
    Map<String, HostTensor> tensors = new LinkedHashMap<>(hf.tensors());
    if (hf.config().tiedOutput()) {
      tensors.remove(LlamaCheckpoint.OUTPUT);
    }
    Safetensors.writeModel(dir, tensors, Safetensors.DEFAULT_MAX_SHARD_BYTES);
    tokenizer.save(dir);
  }
}
