package dev.rredcot.model.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The task families a stage resolves from the name a record carries, configured by a list such as
 * {@code arith,countdown,gsm=/data/gsm.jsonl:math}: each entry is a built-in family ({@code arith},
 * {@code countdown}) or a JSONL file ({@link JsonlTaskFamily}), named after the file or by {@code
 * NAME=}, with an optional {@code :exact}, {@code :numeric} or {@code :math} answer match (which
 * wins over the file's header; without either, exact). An empty list means the built-in families.
 * Immutable and thread-safe.
 */
public final class TaskFamilyRegistry {

  private static final TaskFamilyRegistry BUILT_IN =
      new TaskFamilyRegistry(
          Map.of(
              ArithmeticTask.NAME, ArithmeticTask.defaults(),
              CountdownTask.NAME, CountdownTask.defaults()));

  private final Map<String, TaskFamily> families;

  private TaskFamilyRegistry(Map<String, TaskFamily> families) {
    this.families = Collections.unmodifiableMap(new TreeMap<>(families));
  }

  /** {@code arith} and {@code countdown}, each with its default configuration. */
  public static TaskFamilyRegistry builtIn() {
    return BUILT_IN;
  }

  /**
   * Reads a family list (see the type's Javadoc), loading its JSONL files.
   *
   * @throws IllegalArgumentException naming the entry that is not a family, a JSONL file that
   *     cannot be read, or a name given twice
   */
  public static TaskFamilyRegistry parse(String spec) {
    if (spec == null || spec.isBlank()) {
      return BUILT_IN;
    }
    Map<String, TaskFamily> families = new TreeMap<>();
    for (String raw : spec.split(",")) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      TaskFamily family = BUILT_IN.families.get(entry);
      if (family == null) {
        family = jsonl(entry);
      }
      if (families.put(family.name(), family) != null) {
        throw new IllegalArgumentException(
            "task family '" + family.name() + "' is listed twice in '" + spec + "'");
      }
    }
    if (families.isEmpty()) {
      throw new IllegalArgumentException("no task family in '" + spec + "'");
    }
    return new TaskFamilyRegistry(families);
  }

  private static TaskFamily jsonl(String entry) {
    String name = null;
    String rest = entry;
    int equals = rest.indexOf('=');
    if (equals > 0) {
      name = rest.substring(0, equals);
      rest = rest.substring(equals + 1);
    }
    AnswerMatch match = null; // the file's header decides, else exact
    int colon = rest.lastIndexOf(':');
    if (colon > 0 && !rest.substring(colon + 1).contains("/")) {
      match = AnswerMatch.fromOption(rest.substring(colon + 1));
      rest = rest.substring(0, colon);
    }
    if (!rest.endsWith(".jsonl")) {
      throw new IllegalArgumentException(
          "task family '"
              + entry
              + "' is neither built in ("
              + String.join(", ", BUILT_IN.names())
              + ") nor a .jsonl file");
    }
    Path file = Path.of(rest);
    if (name == null) {
      String fileName = file.getFileName().toString();
      name = fileName.substring(0, fileName.length() - ".jsonl".length());
    }
    try {
      return JsonlTaskFamily.load(file, name, match);
    } catch (IOException e) {
      throw new IllegalArgumentException("task family " + entry + ": " + e.getMessage(), e);
    }
  }

  /** Names that {@link #resolve} knows, sorted. */
  public Set<String> names() {
    return families.keySet();
  }

  /**
   * The family called {@code name}.
   *
   * @throws UnknownTaskFamilyException when no family has that name
   */
  public TaskFamily resolve(String name) throws UnknownTaskFamilyException {
    TaskFamily family = name == null ? null : families.get(name);
    if (family == null) {
      throw new UnknownTaskFamilyException(name, names());
    }
    return family;
  }
}
