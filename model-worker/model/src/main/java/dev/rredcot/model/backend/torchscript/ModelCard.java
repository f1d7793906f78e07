package dev.rredcot.model.backend.torchscript;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code model-card.json} of an exported causal LM directory: what the Java side needs besides
 * the weights and the tokenizer.
 *
 * @param modelFile TorchScript file name inside the directory, e.g. {@code model.pt}
 * @param tokenizerFile Hugging Face tokenizer file name, e.g. {@code tokenizer.json}
 * @param answerCue the task's answer cue the model was trained to write, e.g. {@code "A: "}
 * @param padToken padding token (never attended to, never sampled)
 * @param bosToken token every sequence starts with
 * @param eosToken token that ends generation
 * @param chatTemplate chat template the prompts must be wrapped in, or null for none
 * @param maxContext most positions one sequence may have
 * @param vocabSize size of the model's output layer
 * @param layers decoder layers (the second axis of the key/value tensors)
 * @param heads attention heads per layer
 * @param headDim size of one head's keys and values
 */
public record ModelCard(
    String modelFile,
    String tokenizerFile,
    String answerCue,
    String padToken,
    String bosToken,
    String eosToken,
    String chatTemplate,
    int maxContext,
    int vocabSize,
    int layers,
    int heads,
    int headDim) {

  /** File name of the card inside a model directory. */
  public static final String FILE_NAME = "model-card.json";

  /** Value of the card's {@code format} field. */
  public static final String FORMAT = "rredcot-torchscript-causal-lm";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Validates the sizes and names. */
  public ModelCard {
    for (String name : new String[] {modelFile, tokenizerFile, padToken, bosToken, eosToken}) {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("model card: a file or token name is missing");
      }
    }
    if (answerCue == null) {
      throw new IllegalArgumentException("model card: answerCue is missing");
    }
    if (maxContext <= 0 || vocabSize <= 0 || layers <= 0 || heads <= 0 || headDim <= 0) {
      throw new IllegalArgumentException(
          "model card: maxContext, vocabSize, layers, heads and headDim must be positive");
    }
  }

  /**
   * Reads {@code dir/model-card.json}.
   *
   * @throws IOException when the file is missing, has another format or lacks a field
   */
  public static ModelCard read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new IOException("no " + FILE_NAME + " in " + dir);
    }
    JsonNode root = JSON.readTree(file.toFile());
    if (!FORMAT.equals(root.path("format").asText())) {
      throw new IOException(file + ": format is not " + FORMAT);
    }
    try {
      JsonNode template = root.path("chatTemplate");
      return new ModelCard(
          text(root, "modelFile", file),
          text(root, "tokenizerFile", file),
          text(root, "answerCue", file),
          text(root, "padToken", file),
          text(root, "bosToken", file),
          text(root, "eosToken", file),
          template.isTextual() ? template.asText() : null,
          number(root, "maxContext", file),
          number(root, "vocabSize", file),
          number(root, "layers", file),
          number(root, "heads", file),
          number(root, "headDim", file));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode root, String field, Path file) throws IOException {
    JsonNode node = root.get(field);
    if (node == null || !node.isTextual()) {
      throw new IOException(file + ": field " + field + " is missing or not a string");
    }
    return node.asText();
  }

  private static int number(JsonNode root, String field, Path file) throws IOException {
    JsonNode node = root.get(field);
    if (node == null || !node.isInt()) {
      throw new IOException(file + ": field " + field + " is missing or not an integer");
    }
    return node.asInt();
  }
}
