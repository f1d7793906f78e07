package dev.rredcot.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@link Tokenizer} backed by a Hugging Face {@code tokenizer.json}, loaded offline through DJL.
 *
 * <p>The pad, bos and eos tokens are named explicitly or found among common names ({@code <pad>},
 * {@code [PAD]}, {@code <s>}, {@code </s>}, ...); the chosen names are saved next to the copied
 * {@code tokenizer.json} so a load restores the same ids. Text that the model can only map to its
 * unknown token is refused with {@link UnmappableTextException}.
 */
public final class HuggingFaceTokenizerAdapter implements Tokenizer, AutoCloseable {

  /** The Hugging Face tokenizer file, copied by {@link #save(Path)}. */
  public static final String FILE_NAME = "tokenizer.json";

  /** Names of the special tokens, written by {@link #save(Path)}. */
  public static final String SPECIALS_FILE_NAME = "tokenizer-specials.json";

  private static final List<String> PAD_CANDIDATES = List.of("<pad>", "[PAD]", "<|pad|>");
  private static final List<String> BOS_CANDIDATES =
      List.of("<s>", "<bos>", "[BOS]", "<|bos|>", "<|begin_of_text|>", "[CLS]");
  private static final List<String> EOS_CANDIDATES =
      List.of("</s>", "<eos>", "[EOS]", "<|eos|>", "<|endoftext|>", "<|end_of_text|>", "[SEP]");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path tokenizerFile;
  private final HuggingFaceTokenizer tokenizer;
  private final int vocabSize;
  private final String padToken;
  private final String bosToken;
  private final String eosToken;
  private final int padId;
  private final int bosId;
  private final int eosId;
  private final OptionalInt unknownId;
  private final boolean addsBos;

  private HuggingFaceTokenizerAdapter(
      Path tokenizerFile,
      HuggingFaceTokenizer tokenizer,
      Map<String, Integer> idByToken,
      String padToken,
      String bosToken,
      String eosToken,
      OptionalInt unknownId,
      boolean addsBos) {
    this.tokenizerFile = tokenizerFile;
    this.tokenizer = tokenizer;
    this.vocabSize = idByToken.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    this.padToken = padToken;
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.padId = idByToken.get(padToken);
    this.bosId = idByToken.get(bosToken);
    this.eosId = idByToken.get(eosToken);
    this.unknownId = unknownId;
    this.addsBos = addsBos;
  }

  /**
   * Opens {@code tokenizerJson}, finding pad, bos and eos among common token names.
   *
   * @throws IOException if the file cannot be read or a special token is not found
   */
  public static HuggingFaceTokenizerAdapter open(Path tokenizerJson) throws IOException {
    return open(tokenizerJson, null, null, null);
  }

  /**
   * Opens {@code tokenizerJson} with the given special token names; a null name is looked up among
   * common names.
   *
   * @throws IOException if the file cannot be read or a special token is not in the vocabulary
   */
  public static HuggingFaceTokenizerAdapter open(
      Path tokenizerJson, String padToken, String bosToken, String eosToken) throws IOException {
    return open(tokenizerJson, padToken, bosToken, eosToken, true);
  }

  /**
   * Opens {@code tokenizerJson} for a model whose sequences start without a beginning-of-sequence
   * token (Qwen-style): {@link #addsBos()} is false and {@link #bosId()} is the eos id, never
   * prepended. A null pad or eos name is looked up among common names.
   *
   * @throws IOException if the file cannot be read or a special token is not in the vocabulary
   */
  public static HuggingFaceTokenizerAdapter openWithoutBos(
      Path tokenizerJson, String padToken, String eosToken) throws IOException {
    return open(tokenizerJson, padToken, null, eosToken, false);
  }

  private static HuggingFaceTokenizerAdapter open(
      Path tokenizerJson, String padToken, String bosToken, String eosToken, boolean addsBos)
      throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(tokenizerJson.toFile());
    } catch (IOException e) {
      throw new IOException("cannot read " + tokenizerJson + ": " + e.getMessage(), e);
    }
    Map<String, Integer> idByToken = vocabulary(root, tokenizerJson);
    String pad = chooseSpecial("pad", padToken, PAD_CANDIDATES, idByToken, tokenizerJson);
    String eos = chooseSpecial("eos", eosToken, EOS_CANDIDATES, idByToken, tokenizerJson);
    String bos =
        addsBos ? chooseSpecial("bos", bosToken, BOS_CANDIDATES, idByToken, tokenizerJson) : eos;
    OptionalInt unknownId = OptionalInt.empty();
    JsonNode unknown = root.path("model").path("unk_token");
    if (unknown.isTextual() && idByToken.containsKey(unknown.asText())) {
      unknownId = OptionalInt.of(idByToken.get(unknown.asText()));
    } else if (unknown.isInt()) {
      // Unigram models name the unknown token by id.
      unknownId = OptionalInt.of(unknown.asInt());
    }
    HuggingFaceTokenizer tokenizer =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(tokenizerJson)
            .optAddSpecialTokens(false)
            .optTruncation(false)
            .optPadding(false)
            .build();
    return new HuggingFaceTokenizerAdapter(
        tokenizerJson, tokenizer, idByToken, pad, bos, eos, unknownId, addsBos);
  }

  /** Loads a tokenizer saved by {@link #save(Path)} from {@code dir}. */
  public static HuggingFaceTokenizerAdapter load(Path dir) throws IOException {
    Path specials = dir.resolve(SPECIALS_FILE_NAME);
    if (!Files.isRegularFile(specials)) {
      return open(dir.resolve(FILE_NAME));
    }
    JsonNode names = JSON.readTree(specials.toFile());
    if (!names.path("addsBos").asBoolean(true)) {
      return openWithoutBos(
          dir.resolve(FILE_NAME), textOrNull(names, "padToken"), textOrNull(names, "eosToken"));
    }
    return open(
        dir.resolve(FILE_NAME),
        textOrNull(names, "padToken"),
        textOrNull(names, "bosToken"),
        textOrNull(names, "eosToken"));
  }

  @Override
  public String name() {
    return "hf:" + tokenizerFile.getFileName();
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public int padId() {
    return padId;
  }

  @Override
  public int bosId() {
    return bosId;
  }

  @Override
  public boolean addsBos() {
    return addsBos;
  }

  @Override
  public int eosId() {
    return eosId;
  }

  @Override
  public int[] encode(String text) {
    Encoding encoding;
    try {
      encoding = tokenizer.encode(text, false, false);
    } catch (RuntimeException e) {
      throw new UnmappableTextException(
          "tokenizer " + name() + " cannot encode text: " + e.getMessage(), -1);
    }
    long[] ids = encoding.getIds();
    int[] result = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (unknownId.isPresent() && ids[i] == unknownId.getAsInt()) {
        CharSpan[] spans = encoding.getCharTokenSpans();
        int position =
            spans != null && i < spans.length && spans[i] != null ? spans[i].getStart() : -1;
        String piece =
            position >= 0 ? text.substring(position, spans[i].getEnd()) : encoding.getTokens()[i];
        throw new UnmappableTextException(
            "cannot map '" + piece + "' at position " + position + " (unknown token)", position);
      }
      result[i] = Math.toIntExact(ids[i]);
    }
    return result;
  }

  @Override
  public String decode(int[] ids) {
    long[] kept =
        Arrays.stream(ids)
            .filter(id -> id != padId && id != bosId && id != eosId)
            .asLongStream()
            .toArray();
    return tokenizer.decode(kept, true);
  }

  @Override
  public void save(Path dir) throws IOException {
    Files.copy(tokenizerFile, dir.resolve(FILE_NAME), StandardCopyOption.COPY_ATTRIBUTES);
    ObjectNode names = JSON.createObjectNode();
    names.put("padToken", padToken);
    names.put("bosToken", bosToken);
    names.put("eosToken", eosToken);
    names.put("addsBos", addsBos);
    Files.write(
        dir.resolve(SPECIALS_FILE_NAME),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(names));
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static Map<String, Integer> vocabulary(JsonNode root, Path file) throws IOException {
    Map<String, Integer> idByToken = new HashMap<>();
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      // WordLevel, BPE and WordPiece: {"token": id, ...}.
      vocab.fields().forEachRemaining(e -> idByToken.put(e.getKey(), e.getValue().asInt()));
    } else if (vocab.isArray()) {
      // Unigram: [["token", score], ...], ids are positions.
      for (int i = 0; i < vocab.size(); i++) {
        idByToken.put(vocab.get(i).path(0).asText(), i);
      }
    } else {
      throw new IOException(file + ": no model.vocab found (unsupported tokenizer model?)");
    }
    for (JsonNode added : root.path("added_tokens")) {
      idByToken.put(added.path("content").asText(), added.path("id").asInt());
    }
    return idByToken;
  }

  private static String chooseSpecial(
      String role,
      String requested,
      List<String> candidates,
      Map<String, Integer> idByToken,
      Path file)
      throws IOException {
    if (requested != null) {
      if (!idByToken.containsKey(requested)) {
        throw new IOException(
            file + ": " + role + " token '" + requested + "' is not in the vocabulary");
      }
      return requested;
    }
    Optional<String> found = candidates.stream().filter(idByToken::containsKey).findFirst();
    return found.orElseThrow(
        () ->
            new IOException(
                file
                    + ": no "
                    + role
                    + " token found among "
                    + candidates
                    + "; name it explicitly"));
  }

  private static String textOrNull(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }
}
