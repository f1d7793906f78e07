package dev.rredcot.model.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How a prompt is wrapped before it is encoded, for instruction-tuned models that expect a chat
 * format: the template text with one {@value #PLACEHOLDER} where the prompt goes, e.g. ChatML's
 * {@code <|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n}. Hugging Face ships chat
 * templates as Jinja programs, which the project does not run: the single-turn result is written
 * out once as this plain template ({@value #FILE_NAME} in the model directory).
 *
 * @param template the wrapper, containing {@value #PLACEHOLDER} exactly once
 */
public record ChatTemplate(String template) {

  /** Where the prompt goes. */
  public static final String PLACEHOLDER = "{prompt}";

  /** File a model directory may hold to have its prompts wrapped. */
  public static final String FILE_NAME = "chat-template.txt";

  /** ChatML, the single-turn user/assistant format of Qwen and SmolLM instruct models. */
  public static final ChatTemplate CHATML =
      new ChatTemplate("<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n");

  /** Validates the placeholder. */
  public ChatTemplate {
    Objects.requireNonNull(template, "template");
    int first = template.indexOf(PLACEHOLDER);
    if (first < 0 || template.indexOf(PLACEHOLDER, first + 1) >= 0) {
      throw new IllegalArgumentException(
          "a chat template needs " + PLACEHOLDER + " exactly once: " + template);
    }
  }

  /** The prompt wrapped in the template. */
  public String apply(String prompt) {
    return template.replace(PLACEHOLDER, prompt);
  }

  /**
   * The template in {@code dir}'s {@value #FILE_NAME}, if there is one.
   *
   * @throws IOException when the file cannot be read or has no single placeholder
   */
  public static Optional<ChatTemplate> read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new ChatTemplate(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}
