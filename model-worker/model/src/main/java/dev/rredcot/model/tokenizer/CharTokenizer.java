package dev.rredcot.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Character-level tokenizer: ids 0, 1, 2 are pad, bos and eos, then one id per alphabet character
 * in alphabet order.
 *
 * <p>The default alphabet covers the arithmetic task: digits, {@code + - * =}, newline, {@code Q},
 * {@code A}, {@code :} and space.
 */
public final class CharTokenizer implements Tokenizer {

  /** File written by {@link #save(Path)}. */
  public static final String FILE_NAME = "tokenizer-chars.json";

  /** Alphabet of the embedded arithmetic task. */
  public static final String ARITHMETIC_ALPHABET = "0123456789+-*=\nQA: ";

  /**
   * Alphabet of the countdown task: digits, {@code + - * / =}, newline, {@code Q}, {@code A},
   * {@code :}, space, {@code >} (the prompt's {@code ->}) and {@code ?} (the give-up answer). A
   * separate alphabet, so the arithmetic tokenizer and the policies trained with it stay valid.
   */
  public static final String COUNTDOWN_ALPHABET = "0123456789+-*/=\nQA: >?";

  private static final int PAD_ID = 0;
  private static final int BOS_ID = 1;
  private static final int EOS_ID = 2;
  private static final int FIRST_CHAR_ID = 3;
  private static final String FORMAT = "rredcot-char-tokenizer";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String alphabet;
  private final Map<Character, Integer> idByChar;

  /**
   * Creates a tokenizer over {@code alphabet}.
   *
   * @throws IllegalArgumentException if the alphabet is empty, repeats a character or contains a
   *     surrogate (only single UTF-16 chars are supported)
   */
  public CharTokenizer(String alphabet) {
    if (alphabet == null || alphabet.isEmpty()) {
      throw new IllegalArgumentException("alphabet must not be empty");
    }
    Map<Character, Integer> ids = new HashMap<>();
    for (int i = 0; i < alphabet.length(); i++) {
      char c = alphabet.charAt(i);
      if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            "alphabet contains a surrogate char at position " + i + "; use BMP characters only");
      }
      if (ids.put(c, FIRST_CHAR_ID + i) != null) {
        throw new IllegalArgumentException(
            "alphabet repeats character " + describe(c) + " at position " + i);
      }
    }
    this.alphabet = alphabet;
    this.idByChar = Map.copyOf(ids);
  }

  /** The tokenizer for the arithmetic task ({@link #ARITHMETIC_ALPHABET}). */
  public static CharTokenizer arithmetic() {
    return new CharTokenizer(ARITHMETIC_ALPHABET);
  }

  /** The tokenizer for the countdown task ({@link #COUNTDOWN_ALPHABET}). */
  public static CharTokenizer countdown() {
    return new CharTokenizer(COUNTDOWN_ALPHABET);
  }

  /** The characters this tokenizer maps, in id order. */
  public String alphabet() {
    return alphabet;
  }

  @Override
  public String name() {
    return "char";
  }

  @Override
  public int vocabSize() {
    return FIRST_CHAR_ID + alphabet.length();
  }

  @Override
  public int padId() {
    return PAD_ID;
  }

  @Override
  public int bosId() {
    return BOS_ID;
  }

  @Override
  public int eosId() {
    return EOS_ID;
  }

  @Override
  public int[] encode(String text) {
    int[] ids = new int[text.length()];
    for (int i = 0; i < text.length(); i++) {
      Integer id = idByChar.get(text.charAt(i));
      if (id == null) {
        throw new UnmappableTextException(
            "cannot map character " + describe(text.charAt(i)) + " at position " + i, i);
      }
      ids[i] = id;
    }
    return ids;
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder text = new StringBuilder(ids.length);
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      if (id < 0 || id >= vocabSize()) {
        throw new IllegalArgumentException(
            "token id " + id + " at position " + i + " is outside [0, " + vocabSize() + ")");
      }
      if (id >= FIRST_CHAR_ID) {
        text.append(alphabet.charAt(id - FIRST_CHAR_ID));
      }
    }
    return text.toString();
  }

  @Override
  public void save(Path dir) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("padId", PAD_ID);
    root.put("bosId", BOS_ID);
    root.put("eosId", EOS_ID);
    root.put("alphabet", alphabet);
    Files.write(
        dir.resolve(FILE_NAME),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root),
        StandardOpenOption.CREATE_NEW);
  }

  /** Loads a tokenizer saved by {@link #save(Path)} from {@code dir}. */
  public static CharTokenizer load(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !FORMAT.equals(root.path("format").asText())) {
      throw new IOException(file + " is not a " + FORMAT + " file");
    }
    if (root.path("padId").asInt(-1) != PAD_ID
        || root.path("bosId").asInt(-1) != BOS_ID
        || root.path("eosId").asInt(-1) != EOS_ID) {
      throw new IOException(file + ": special ids must be pad=0, bos=1, eos=2");
    }
    JsonNode alphabet = root.get("alphabet");
    if (alphabet == null || !alphabet.isTextual()) {
      throw new IOException(file + ": missing string field 'alphabet'");
    }
    try {
      return new CharTokenizer(alphabet.asText());
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static String describe(char c) {
    String shown =
        switch (c) {
          case '\n' -> "\\n";
          case '\t' -> "\\t";
          case '\r' -> "\\r";
          default -> Character.isISOControl(c) ? "" : String.valueOf(c);
        };
    return String.format("'%s' (U+%04X)", shown, (int) c);
  }
}
