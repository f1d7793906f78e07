package dev.rredcot.model.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * Task family read from a JSONL file of {@code {"question": ..., "answer": ..., "solution": ...}}
 * objects, one per line (blank lines are skipped); {@code solution}, a reference solution, is
 * optional.
 *
 * <p>The first non-blank line may instead be a header, {@code {"family": {...}}}, with any of:
 * {@code line_end} (the text that ends each line of prompts and traces, default {@code "\n"}; a
 * model whose vocabulary has no newline uses e.g. {@code ". "}), {@code answer_cue} (default {@code
 * "A: "}), {@code answer_match} ({@code exact}, {@code numeric} or {@code math}; see {@link
 * AnswerMatch}) or {@code reward_class} (a {@link RewardFunction} loaded by class name, which then
 * decides every reward); an unknown key is an error that names it.
 *
 * <p>The prompt is the question with the line end appended if it does not end with it. The
 * reference solution gets a final line end and, when it does not contain the answer cue, a final
 * line {@code <cue><answer><line end>}; without a solution it is that answer line alone. A trace's
 * answer is the text after the last occurrence of the cue up to the next line end (or the end of
 * the trace), trimmed; it is compared with the trimmed reference answer by the family's {@link
 * AnswerMatch} (exact by default) or graded by its reward function.
 */
public final class JsonlTaskFamily implements TaskFamily {

  /** Default answer cue, as in the arithmetic family. */
  public static final String DEFAULT_ANSWER_CUE = "A: ";

  /** Default line end. */
  public static final String DEFAULT_LINE_END = "\n";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> HEADER_KEYS =
      List.of("line_end", "answer_cue", "answer_match", "reward_class");

  private final String name;
  private final String answerCue;
  private final String lineEnd;
  private final String contentHash;
  private final List<Entry> entries;
  private final AnswerMatch match;
  private final RewardFunction reward;
  private final String rewardClass;

  private record Entry(int lineNumber, String question, String solution, String answer) {}

  /** What the header says; null fields were not given. */
  private record Header(String lineEnd, String answerCue, AnswerMatch match, String rewardClass) {
    static final Header NONE = new Header(null, null, null, null);
  }

  private JsonlTaskFamily(
      String name,
      String answerCue,
      String lineEnd,
      String contentHash,
      List<Entry> entries,
      AnswerMatch match,
      String rewardClass) {
    this.name = name;
    this.match = match;
    this.answerCue = answerCue;
    this.lineEnd = lineEnd;
    this.contentHash = contentHash;
    this.entries = List.copyOf(entries);
    this.rewardClass = rewardClass;
    this.reward = rewardClass == null ? null : RewardFunction.load(rewardClass);
  }

  /**
   * Loads {@code file} as its header says; the family is named after the file (without {@code
   * .jsonl}).
   */
  public static JsonlTaskFamily load(Path file) throws IOException {
    return load(file, nameOf(file), (AnswerMatch) null);
  }

  /**
   * Loads {@code file} as its header says, comparing answers by {@code match} when it is not null
   * (it may not be combined with a header's {@code reward_class}).
   *
   * @throws IOException if the file cannot be read, or naming the line number of the first
   *     malformed line (not JSON, not an object, a missing or non-string field, a bad header)
   * @throws IllegalArgumentException if the name is blank or the header's reward class cannot be
   *     loaded
   */
  public static JsonlTaskFamily load(Path file, String name, AnswerMatch match) throws IOException {
    return load(file, name, null, match);
  }

  /**
   * Loads {@code file} with {@code answerCue} in place of the header's.
   *
   * @throws IOException if the file cannot be read, or naming the line number of the first
   *     malformed line (not JSON, not an object, or a missing or non-string field)
   * @throws IllegalArgumentException if the name or cue is empty
   */
  public static JsonlTaskFamily load(Path file, String name, String answerCue) throws IOException {
    return load(file, name, answerCue, null);
  }

  /**
   * Loads {@code file}; a non-null {@code answerCue} or {@code match} wins over the header's.
   *
   * @throws IOException if the file cannot be read, or naming the line number of the first
   *     malformed line
   */
  public static JsonlTaskFamily load(Path file, String name, String answerCue, AnswerMatch match)
      throws IOException {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("family name must not be blank");
    }
    if (answerCue != null && answerCue.isEmpty()) {
      throw new IllegalArgumentException("answer cue must not be empty");
    }
    byte[] bytes = Files.readAllBytes(file);
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\r?\n", -1);
    List<Entry> entries = new ArrayList<>();
    Header header = Header.NONE;
    boolean first = true;
    for (int i = 0; i < lines.length; i++) {
      int lineNumber = i + 1;
      if (lines[i].isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(lines[i]);
      } catch (JsonProcessingException e) {
        throw new IOException(
            file + ":" + lineNumber + ": not valid JSON: " + e.getOriginalMessage(), e);
      }
      if (node == null || !node.isObject()) {
        throw new IOException(file + ":" + lineNumber + ": expected a JSON object");
      }
      if (node.has("family")) {
        if (!first) {
          throw new IOException(
              file + ":" + lineNumber + ": a {\"family\": ...} header must be the first line");
        }
        header = header(node, file, lineNumber);
        first = false;
        continue;
      }
      first = false;
      String question = requiredText(node, "question", file, lineNumber);
      String solution =
          node.has("solution") ? requiredText(node, "solution", file, lineNumber) : "";
      String answer = requiredText(node, "answer", file, lineNumber).trim();
      if (answer.isEmpty()) {
        throw new IOException(file + ":" + lineNumber + ": field 'answer' is blank");
      }
      entries.add(new Entry(lineNumber, question, solution, answer));
    }
    if (entries.isEmpty()) {
      throw new IOException(file + ": no problems (the file has no non-blank lines)");
    }
    String cue = answerCue != null ? answerCue : orElse(header.answerCue(), DEFAULT_ANSWER_CUE);
    if (match != null && header.rewardClass() != null) {
      throw new IllegalArgumentException(
          "task family "
              + name
              + ": answer match '"
              + match.optionValue()
              + "' given for a file whose reward_class "
              + header.rewardClass()
              + " decides rewards; give one of them");
    }
    AnswerMatch effectiveMatch =
        match != null ? match : header.match() != null ? header.match() : AnswerMatch.EXACT;
    // Exact-match families keep the ids they had before answer matching was configurable; the
    // header is part of the file's bytes.
    String contentHash =
        shortHash(
            bytes,
            effectiveMatch == AnswerMatch.EXACT ? cue : cue + "|" + effectiveMatch.optionValue());
    return new JsonlTaskFamily(
        name,
        cue,
        orElse(header.lineEnd(), DEFAULT_LINE_END),
        contentHash,
        entries,
        effectiveMatch,
        header.rewardClass());
  }

  private static Header header(JsonNode node, Path file, int lineNumber) throws IOException {
    String where = file + ":" + lineNumber + ": ";
    if (node.size() != 1) {
      throw new IOException(where + "a header holds only \"family\"");
    }
    JsonNode family = node.get("family");
    if (!family.isObject()) {
      throw new IOException(where + "\"family\" must be an object");
    }
    for (Iterator<String> keys = family.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!HEADER_KEYS.contains(key)) {
        throw new IOException(
            where + "unknown family option '" + key + "': use " + String.join(", ", HEADER_KEYS));
      }
    }
    String lineEnd = optionalText(family, "line_end", where);
    String answerCue = optionalText(family, "answer_cue", where);
    String match = optionalText(family, "answer_match", where);
    String rewardClass = optionalText(family, "reward_class", where);
    if (lineEnd != null && lineEnd.isEmpty()) {
      throw new IOException(where + "line_end must not be empty");
    }
    if (answerCue != null && answerCue.isEmpty()) {
      throw new IOException(where + "answer_cue must not be empty");
    }
    if (match != null && rewardClass != null) {
      throw new IOException(where + "give answer_match or reward_class, not both");
    }
    AnswerMatch answerMatch;
    try {
      answerMatch = match == null ? null : AnswerMatch.fromOption(match);
    } catch (IllegalArgumentException e) {
      throw new IOException(where + e.getMessage(), e);
    }
    return new Header(lineEnd, answerCue, answerMatch, rewardClass);
  }

  private static String optionalText(JsonNode node, String field, String where) throws IOException {
    JsonNode value = node.get(field);
    if (value == null) {
      return null;
    }
    if (!value.isTextual()) {
      throw new IOException(where + "family option '" + field + "' must be a string");
    }
    return value.asText();
  }

  private static String orElse(String value, String otherwise) {
    return value != null ? value : otherwise;
  }

  private static String nameOf(Path file) {
    String fileName = file.getFileName().toString();
    return fileName.endsWith(".jsonl") ? fileName.substring(0, fileName.length() - 6) : fileName;
  }

  /** How answers are compared. */
  public AnswerMatch answerMatch() {
    return match;
  }

  /** Number of problems in the file. */
  public int size() {
    return entries.size();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Problem generate(long seed) {
    Entry entry = entries.get(new SplittableRandom(seed).nextInt(entries.size()));
    String prompt = entry.question.endsWith(lineEnd) ? entry.question : entry.question + lineEnd;
    String solution =
        entry.solution.isEmpty() || entry.solution.endsWith(lineEnd)
            ? entry.solution
            : entry.solution + lineEnd;
    if (!solution.contains(answerCue)) {
      solution = solution + answerCue + entry.answer + lineEnd;
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("seed", Long.toString(seed));
    metadata.put("line", Integer.toString(entry.lineNumber));
    return new Problem(
        name + "-" + contentHash + "-" + seed, name, prompt, solution, entry.answer, metadata);
  }

  @Override
  public Verification verifyAnswer(String referenceAnswer, String trace) {
    if (trace.isEmpty()) {
      return Verification.malformed("empty trace");
    }
    int cueAt = trace.lastIndexOf(answerCue);
    if (cueAt < 0) {
      return Verification.malformed("no answer cue \"" + answerCue.strip() + "\"");
    }
    int start = cueAt + answerCue.length();
    int end = trace.indexOf(lineEnd, start);
    String answer = trace.substring(start, end < 0 ? trace.length() : end).trim();
    if (answer.isEmpty()) {
      return Verification.malformed("empty answer");
    }
    String expected = referenceAnswer.trim();
    if (reward != null) {
      return reward.verify(expected, answer, trace);
    }
    return match.matches(expected, answer)
        ? Verification.correct(answer)
        : Verification.wrong(answer, "wrong answer: expected " + expected);
  }

  @Override
  public String answerCue() {
    return answerCue;
  }

  @Override
  public String lineEnd() {
    return lineEnd;
  }

  /** The class name of the family's reward function, if its header names one. */
  public Optional<String> rewardClass() {
    return Optional.ofNullable(rewardClass);
  }

  /**
   * Approximation for evaluation: the first step line that differs (after trimming) from the
   * reference solution's line at the same index, or the answer line's index when only the answer is
   * wrong. A different but valid derivation therefore counts as wrong.
   */
  @Override
  public OptionalInt firstWrongStep(Problem problem, String trace) {
    List<String> written = splitSteps(trace);
    List<String> reference = splitSteps(problem.solution());
    for (int i = 0; i < reference.size(); i++) {
      if (i >= written.size() || !written.get(i).trim().equals(reference.get(i).trim())) {
        return OptionalInt.of(i);
      }
    }
    if (written.size() > reference.size()) {
      return OptionalInt.of(reference.size());
    }
    return verify(problem, trace).isCorrect()
        ? OptionalInt.empty()
        : OptionalInt.of(reference.size());
  }

  /**
   * Lines (each with its line end) before the line holding the last answer cue (all lines when
   * there is no cue).
   */
  @Override
  public List<String> splitSteps(String trace) {
    int cueAt = trace.lastIndexOf(answerCue);
    int stepsEnd;
    if (cueAt < 0) {
      stepsEnd = trace.length();
    } else {
      int lastEnd = trace.lastIndexOf(lineEnd, cueAt - lineEnd.length());
      stepsEnd = lastEnd < 0 ? 0 : lastEnd + lineEnd.length();
    }
    List<String> steps = new ArrayList<>();
    int start = 0;
    while (start < stepsEnd) {
      int end = trace.indexOf(lineEnd, start);
      int next = end < 0 || end + lineEnd.length() > stepsEnd ? stepsEnd : end + lineEnd.length();
      steps.add(trace.substring(start, next));
      start = next;
    }
    return steps;
  }

  private static String requiredText(JsonNode node, String field, Path file, int lineNumber)
      throws IOException {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new IOException(
          file + ":" + lineNumber + ": field '" + field + "' is missing or not a string");
    }
    return value.asText();
  }

  private static String shortHash(byte[] content, String answerCue) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(content);
      digest.update(answerCue.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest.digest(), 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }
}
