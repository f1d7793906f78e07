package dev.rredcot.model.pretrain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.policy.ModelConfig;
import dev.rredcot.model.task.CountdownOracle;
import dev.rredcot.model.task.CountdownSolver;
import dev.rredcot.model.task.CountdownTask;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every countdown level needs search: many valid first moves doom the trace, moving at random while
 * finishing whenever one move makes the target is not enough, and the warm-up traces fit the
 * default model context. Logs the figures quoted in docs/RESULTS.md.
 */
class CountdownDifficultyTest {

  private static final Logger LOG = LoggerFactory.getLogger(CountdownDifficultyTest.class);

  @ParameterizedTest
  @MethodSource("levels")
  void validEarlyMovesDoomAndTracesFitTheContext(String level) {
    CountdownTask task = new CountdownTask(CountdownTask.Config.level(level));
    int problems = 400;
    Random random = new Random(1);
    CountdownSolver solver =
        new CountdownSolver(
            PretrainOptions.COUNTDOWN_DOOM_RATE,
            PretrainOptions.COUNTDOWN_GIVE_UP_RATE,
            task.oracle());
    CharTokenizer tokenizer = CharTokenizer.countdown();
    double doomShare = 0;
    int greedySolved = 0;
    int solverSolved = 0;
    int longest = 0;
    for (long seed = 0; seed < problems; seed++) {
      Problem problem = task.generate(seed);
      CountdownTask.Instance instance = CountdownTask.Instance.parsePrompt(problem.prompt());
      List<CountdownOracle.Move> first = CountdownOracle.moves(instance.numbers());
      int dooming = 0;
      for (CountdownOracle.Move move : first) {
        if (!task.oracle().reachable(after(instance.numbers(), move), instance.target())) {
          dooming++;
        }
      }
      doomShare += (double) dooming / first.size() / problems;
      greedySolved += randomMovesFinishingGreedily(instance, random) ? 1 : 0;
      String trace = solver.write(problem, random);
      solverSolved += task.verify(problem, trace).isCorrect() ? 1 : 0;
      // bos + prompt + trace + eos
      longest = Math.max(longest, 2 + tokenizer.encode(problem.prompt() + trace).length);
    }
    double greedy = (double) greedySolved / problems;
    LOG.info(
        "countdown {} ({}): {} problems; share of first moves that doom {}; random moves with greedy"
            + " finish solve {}; warm-up solver solves {}; longest warm-up sequence {} tokens",
        level,
        task.config(),
        problems,
        String.format("%.3f", doomShare),
        greedy,
        (double) solverSolved / problems,
        longest);
    assertTrue(doomShare > 0.2 && doomShare < 0.8, "doom share " + doomShare);
    assertTrue(greedy < 0.6, "without lookahead only some are solved: " + greedy);
    int context = ModelConfig.builder().setVocabSize(tokenizer.vocabSize()).build().maxContext();
    assertTrue(longest <= context, longest + " tokens > context " + context);
  }

  static List<String> levels() {
    return CountdownTask.Config.LEVELS;
  }

  /** Moves at random, except that it takes a move making the target whenever there is one. */
  private static boolean randomMovesFinishingGreedily(
      CountdownTask.Instance instance, Random random) {
    List<Long> available = new ArrayList<>(instance.numbers());
    while (!available.contains(instance.target()) && available.size() > 1) {
      List<CountdownOracle.Move> moves = CountdownOracle.moves(available);
      CountdownOracle.Move move = moves.get(random.nextInt(moves.size()));
      for (CountdownOracle.Move finishing : moves) {
        if (finishing.result() == instance.target()) {
          move = finishing;
        }
      }
      available = after(available, move);
    }
    return available.contains(instance.target());
  }

  private static List<Long> after(List<Long> available, CountdownOracle.Move move) {
    List<Long> next = new ArrayList<>(available);
    next.remove(Long.valueOf(move.left()));
    next.remove(Long.valueOf(move.right()));
    next.add(move.result());
    return next;
  }
}
