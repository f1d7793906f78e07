package dev.rredcot.model.task;

import java.util.Map;
import java.util.Random;

/** Writes imperfect traces for a task family's problems, the supervised warm-up's training data. */
public interface TraceWriter {

  /** A trace for {@code problem} in its family's format; deterministic given {@code random}. */
  String write(Problem problem, Random random);

  /** The writer's settings, recorded in the metrics of the checkpoint it trains. */
  Map<String, Double> settings();
}
