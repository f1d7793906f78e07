package dev.rredcot.model.task;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a JSONL family compares a trace's extracted answer with the reference answer (both trimmed).
 *
 * <ul>
 *   <li>{@code exact}: equal strings.
 *   <li>{@code numeric}: when both read as numbers (an integer, a decimal with optional exponent,
 *       thousands separators like {@code 1,234}, or a fraction {@code a/b}), equal as exact
 *       rationals, so {@code 0.5 = 1/2 = 2/4} but {@code 0.333 ≠ 1/3}; otherwise equal strings.
 *   <li>{@code math}: both are normalised first (spaces, {@code $}, {@code \boxed{..}}, {@code
 *       \text{..}}, {@code \left}/{@code \right}, thin spaces, a trailing period removed; {@code
 *       \frac{a}{b}}, {@code \dfrac} and {@code \tfrac} with plain numbers become {@code a/b}),
 *       then compared as {@code numeric}. Expressions are compared as normalised text, so {@code
 *       x+1} and {@code 1+x} differ: no symbolic algebra.
 * </ul>
 */
public enum AnswerMatch {
  EXACT,
  NUMERIC,
  MATH;

  private static final Pattern THOUSANDS = Pattern.compile("[+-]?\\d{1,3}(,\\d{3})+(\\.\\d*)?");
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern FRAC = Pattern.compile("\\\\[dt]?frac\\{([^{}]*)\\}\\{([^{}]*)\\}");

  /** Option value, e.g. {@code numeric}. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an option value; the error lists the valid ones. */
  public static AnswerMatch fromOption(String value) {
    for (AnswerMatch match : values()) {
      if (match.optionValue().equals(value)) {
        return match;
      }
    }
    throw new IllegalArgumentException(
        "unknown answer match '" + value + "': use exact, numeric or math");
  }

  /** Whether {@code answer} matches {@code reference} under this rule. */
  public boolean matches(String reference, String answer) {
    String expected = reference.trim();
    String given = answer.trim();
    switch (this) {
      case EXACT:
        return expected.equals(given);
      case NUMERIC:
        return sameNumberOrText(expected, given);
      default:
        return sameNumberOrText(normaliseMath(expected), normaliseMath(given));
    }
  }

  private static boolean sameNumberOrText(String a, String b) {
    Optional<BigDecimal[]> x = rational(a);
    Optional<BigDecimal[]> y = rational(b);
    if (x.isPresent() && y.isPresent()) {
      return x.get()[0].multiply(y.get()[1]).compareTo(y.get()[0].multiply(x.get()[1])) == 0;
    }
    return a.equals(b);
  }

  /** {numerator, denominator} of a number or fraction, if {@code text} is one. */
  static Optional<BigDecimal[]> rational(String text) {
    String t = text.trim();
    while (enclosed(t)) {
      t = t.substring(1, t.length() - 1).trim();
    }
    int slash = t.indexOf('/');
    if (slash >= 0) {
      Optional<BigDecimal> n = number(t.substring(0, slash));
      Optional<BigDecimal> d = number(t.substring(slash + 1));
      if (n.isEmpty() || d.isEmpty() || d.get().signum() == 0) {
        return Optional.empty();
      }
      return Optional.of(new BigDecimal[] {n.get(), d.get()});
    }
    return number(t).map(n -> new BigDecimal[] {n, BigDecimal.ONE});
  }

  /** Whether the first character is a parenthesis that the last one closes. */
  private static boolean enclosed(String t) {
    if (!t.startsWith("(") || !t.endsWith(")")) {
      return false;
    }
    int depth = 0;
    for (int i = 0; i < t.length(); i++) {
      depth += t.charAt(i) == '(' ? 1 : t.charAt(i) == ')' ? -1 : 0;
      if (depth == 0 && i < t.length() - 1) {
        return false;
      }
    }
    return true;
  }

  private static Optional<BigDecimal> number(String text) {
    String t = text.trim();
    if (t.startsWith("(") && t.endsWith(")")) {
      t = t.substring(1, t.length() - 1).trim();
    }
    if (THOUSANDS.matcher(t).matches()) {
      t = t.replace(",", "");
    }
    if (!NUMBER.matcher(t).matches()) {
      return Optional.empty();
    }
    return Optional.of(new BigDecimal(t.startsWith("+") ? t.substring(1) : t));
  }

  /** The {@code math} normal form of an answer (see the type's Javadoc). */
  public static String normaliseMath(String answer) {
    String s = answer.trim();
    s = unwrap(s, "\\boxed{");
    s = unwrap(s, "\\text{");
    s = unwrap(s, "\\mathrm{");
    s = s.replace("$", "").replace("\\left", "").replace("\\right", "");
    s = s.replace("\\!", "").replace("\\,", "").replace("\\;", "").replace("\\ ", "");
    s = s.replaceAll("\\s+", "");
    Matcher frac = FRAC.matcher(s);
    StringBuilder out = new StringBuilder();
    while (frac.find()) {
      frac.appendReplacement(
          out, Matcher.quoteReplacement("(" + frac.group(1) + ")/(" + frac.group(2) + ")"));
    }
    frac.appendTail(out);
    s = out.toString();
    while (s.endsWith(".")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  /** Replaces every {@code command{content}} by its content, braces balanced. */
  private static String unwrap(String s, String command) {
    int at;
    while ((at = s.indexOf(command)) >= 0) {
      int open = at + command.length();
      int depth = 1;
      int i = open;
      while (i < s.length() && depth > 0) {
        char c = s.charAt(i);
        depth += c == '{' ? 1 : c == '}' ? -1 : 0;
        i++;
      }
      if (depth != 0) {
        return s;
      }
      s = s.substring(0, at) + s.substring(open, i - 1) + s.substring(i);
    }
    return s;
  }
}
