package dev.rredcot.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class CountdownOracleTest {

  private final CountdownOracle oracle = new CountdownOracle();

  @Test
  void reachableTargets() {
    assertTrue(oracle.reachable(List.of(75L), 75), "already available");
    assertTrue(oracle.reachable(List.of(3L, 5L, 25L, 50L), 75));
    assertTrue(oracle.reachable(List.of(2L, 3L, 7L), 20), "(7+3)*2");
    assertTrue(oracle.reachable(List.of(4L, 6L), 24));
    assertTrue(oracle.reachable(List.of(8L, 2L), 4), "exact division");
    // The classic 6-number game: 100 75 50 25 6 3 -> 952 = ((100+6)*3*75-50)/25.
    assertTrue(oracle.reachable(List.of(100L, 75L, 50L, 25L, 6L, 3L), 952));
  }

  @Test
  void unreachableTargets() {
    assertFalse(oracle.reachable(List.of(2L, 21L), 20));
    assertFalse(oracle.reachable(List.of(5L), 6));
    assertFalse(oracle.reachable(List.of(7L, 2L), 3), "7/2 is not exact");
    assertFalse(oracle.reachable(List.of(3L, 3L), 0), "no zero: differences are positive");
    assertFalse(oracle.reachable(List.of(1L, 1L, 1L), 5), "at most 3 from three ones");
    assertFalse(oracle.reachable(List.of(1L, 1L, 1L, 1L, 1L, 1L), 10), "at most 9 from six ones");
  }

  @Test
  void shortestSolutionCountsMoves() {
    assertEquals(OptionalInt.of(0), oracle.shortestSolution(List.of(3L, 75L), 75));
    assertEquals(OptionalInt.of(1), oracle.shortestSolution(List.of(3L, 5L, 25L, 50L), 75));
    assertEquals(OptionalInt.of(2), oracle.shortestSolution(List.of(2L, 3L, 7L), 20));
    assertEquals(OptionalInt.empty(), oracle.shortestSolution(List.of(2L, 21L), 20));
  }

  @Test
  void movesListEachPairOfValuesOnceLargerFirst() {
    List<CountdownOracle.Move> moves = CountdownOracle.moves(List.of(2L, 2L, 6L));
    // Pairs (2,2) and (6,2): 2+2, 2*2, 2/2 (2-2 is not positive), then 6+2, 6-2, 6*2, 6/2.
    assertEquals(7, moves.size(), moves.toString());
    assertTrue(moves.stream().allMatch(m -> m.left() >= m.right()));
    assertTrue(moves.contains(new CountdownOracle.Move(6, '/', 2, 3)));
    assertEquals("6/2=3\n", new CountdownOracle.Move(6, '/', 2, 3).line());
  }
}
