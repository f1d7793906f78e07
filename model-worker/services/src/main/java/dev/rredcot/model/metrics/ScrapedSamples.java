package dev.rredcot.model.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The samples of one scrape in the Prometheus text format (version 0.0.4): every {@code
 * name{labels} value} line, comments and timestamps dropped. Enough to read a service's {@code
 * /metrics} from a test or a tool; label values with escaped quotes are read, exemplars are not
 * expected.
 */
public final class ScrapedSamples {

  /**
   * One sample.
   *
   * @param name the sample's name ({@code _total}, {@code _bucket}... included)
   * @param labels its labels, sorted by name
   * @param value its value
   */
  public record Sample(String name, Map<String, String> labels, double value) {
    /** Copies the labels. */
    public Sample {
      labels = Map.copyOf(labels);
    }
  }

  private final List<Sample> samples;

  private ScrapedSamples(List<Sample> samples) {
    this.samples = List.copyOf(samples);
  }

  /**
   * Parses a scrape.
   *
   * @throws IllegalArgumentException on a line that is not a comment, blank or a sample
   */
  public static ScrapedSamples parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      samples.add(parseLine(trimmed));
    }
    return new ScrapedSamples(samples);
  }

  /** Every sample, in scrape order. */
  public List<Sample> samples() {
    return samples;
  }

  /** Whether any sample is called {@code name}. */
  public boolean has(String name) {
    return samples.stream().anyMatch(s -> s.name().equals(name));
  }

  /** The value of the sample {@code name} whose labels include {@code labels} (pairs k, v...). */
  public Optional<Double> value(String name, String... labels) {
    Map<String, String> wanted = new LinkedHashMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) {
      wanted.put(labels[i], labels[i + 1]);
    }
    for (Sample sample : samples) {
      if (sample.name().equals(name) && sample.labels().entrySet().containsAll(wanted.entrySet())) {
        return Optional.of(sample.value());
      }
    }
    return Optional.empty();
  }

  private static Sample parseLine(String line) {
    int brace = line.indexOf('{');
    int space = line.indexOf(' ');
    String name;
    Map<String, String> labels = new TreeMap<>();
    String rest;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.substring(0, brace);
      int i = brace + 1;
      while (line.charAt(i) != '}') {
        int eq = line.indexOf('=', i);
        String key = line.substring(i, eq).strip();
        if (line.charAt(eq + 1) != '"') {
          throw new IllegalArgumentException("label value not quoted: " + line);
        }
        StringBuilder value = new StringBuilder();
        int j = eq + 2;
        for (; line.charAt(j) != '"'; j++) {
          char c = line.charAt(j);
          if (c == '\\') {
            char next = line.charAt(++j);
            value.append(next == 'n' ? '\n' : next);
          } else {
            value.append(c);
          }
        }
        labels.put(key, value.toString());
        i = j + 1;
        if (line.charAt(i) == ',') {
          i++;
        }
      }
      rest = line.substring(i + 1).strip();
    } else if (space > 0) {
      name = line.substring(0, space);
      rest = line.substring(space + 1).strip();
    } else {
      throw new IllegalArgumentException("not a sample line: " + line);
    }
    String[] parts = rest.split("\\s+");
    return new Sample(name, labels, parseValue(parts[0], line));
  }

  private static double parseValue(String text, String line) {
    switch (text) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        try {
          return Double.parseDouble(text);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad sample value in: " + line, e);
        }
    }
  }
}
