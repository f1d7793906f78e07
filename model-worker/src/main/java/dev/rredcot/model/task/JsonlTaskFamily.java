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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * Task family read from a JSONL file of {@code {"question": ..., "answer": ..., "solution": ...}}
 * objects, one per line (blank lines are skipped); {@code solution}, a reference solution, is
 * optional.
 *
 * <p>The prompt is the question with a trailing newline added if missing. The reference solution
 * gets a trailing newline and, when it does not contain the answer cue, a final line {@code
 * <cue><answer>\n}; without a solution it is that answer line alone. A trace's answer is the text
 * after the last occurrence of the cue up to the next newline (or the end of the trace), trimmed;
 * it is compared with the trimmed reference answer by the family's {@link AnswerMatch} (exact by
 * default).
 */
public final class JsonlTaskFamily implements TaskFamily {

  /** Default answer cue, as in the arithmetic family. */
  public static final String DEFAULT_ANSWER_CUE = "A: ";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final String answerCue;
  private final String contentHash;
  private final List<Entry> entries;
  private final AnswerMatch match;

  private record Entry(int lineNumber, String question, String solution, String answer) {}

  private JsonlTaskFamily(
      String name, String answerCue, String contentHash, List<Entry> entries, AnswerMatch match) {
    this.name = name;
    this.match = match;
    this.answerCue = answerCue;
    this.contentHash = contentHash;
    this.entries = List.copyOf(entries);
  }

  /**
   * Loads {@code file} with the default cue; the family is named after the file (without {@code
   * .jsonl}).
   */
  public static JsonlTaskFamily load(Path file) throws IOException {
    String fileName = file.getFileName().toString();
    String name =
        fileName.endsWith(".jsonl") ? fileName.substring(0, fileName.length() - 6) : fileName;
    return load(file, name, DEFAULT_ANSWER_CUE);
  }

  /**
   * Loads {@code file}.
   *
   * @throws IOException if the file cannot be read, or naming the line number of the first
   *     malformed line (not JSON, not an object, or a missing or non-string field)
   * @throws IllegalArgumentException if the name or cue is empty
   */
  public static JsonlTaskFamily load(Path file, String name, String answerCue) throws IOException {
    return load(file, name, answerCue, AnswerMatch.EXACT);
  }

  /**
   * Loads {@code file}, comparing answers by {@code match}.
   *
   * @throws IOException if the file cannot be read, or naming the line number of the first
   *     malformed line
   */
  public static JsonlTaskFamily load(Path file, String name, String answerCue, AnswerMatch match)
      throws IOException {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("family name must not be blank");
    }
    if (answerCue == null || answerCue.isEmpty()) {
      throw new IllegalArgumentException("answer cue must not be empty");
    }
    byte[] bytes = Files.readAllBytes(file);
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\r?\n", -1);
    List<Entry> entries = new ArrayList<>();
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
    // Exact-match families keep the ids they had before answer matching was configurable.
    String contentHash =
        shortHash(
            bytes, match == AnswerMatch.EXACT ? answerCue : answerCue + "|" + match.optionValue());
    return new JsonlTaskFamily(name, answerCue, contentHash, entries, match);
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
    String prompt = entry.question.endsWith("\n") ? entry.question : entry.question + "\n";
    String solution =
        entry.solution.isEmpty() || entry.solution.endsWith("\n")
            ? entry.solution
            : entry.solution + "\n";
    if (!solution.contains(answerCue)) {
      solution = solution + answerCue + entry.answer + "\n";
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
    int end = trace.indexOf('\n', start);
    String answer = trace.substring(start, end < 0 ? trace.length() : end).trim();
    if (answer.isEmpty()) {
      return Verification.malformed("empty answer");
    }
    String expected = referenceAnswer.trim();
    return match.matches(expected, answer)
        ? Verification.correct(answer)
        : Verification.wrong(answer, "wrong answer: expected " + expected);
  }

  @Override
  public String answerCue() {
    return answerCue;
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

  /** Lines before the line holding the last answer cue (all lines when there is no cue). */
  @Override
  public List<String> splitSteps(String trace) {
    int cueAt = trace.lastIndexOf(answerCue);
    int stepsEnd = cueAt < 0 ? trace.length() : trace.lastIndexOf('\n', cueAt) + 1;
    List<String> steps = new ArrayList<>();
    int start = 0;
    while (start < stepsEnd) {
      int end = trace.indexOf('\n', start);
      int next = end < 0 || end >= stepsEnd ? stepsEnd : end + 1;
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
