package dev.rredcot.infra.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.pipelines.group.GroupContract;
import dev.rredcot.pipelines.ingest.ParseRollouts;
import dev.rredcot.pipelines.ingest.RolloutContract;
import dev.rredcot.schemas.RecordDecodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ContractCorpusTest {

  @Test
  void coversEveryReasonOfEveryContract() {
    ContractCorpus corpus =
        ContractCorpus.generate(
            7, 6, 4, ContractCorpus.MIN_RECORD_LIMIT, java.time.Instant.now(), true);
    assertEquals(expectedReasons(), corpus.reasons());
  }

  @Test
  void leavesTheTokenizerCasesOutUnlessAskedFor() {
    // A job decodes token ids only when it knows the policy's tokenizer.
    ContractCorpus corpus = ContractCorpus.generate(7, 6, 4, ContractCorpus.MIN_RECORD_LIMIT);
    Set<String> expected = expectedReasons();
    expected.removeAll(RolloutContract.TOKENIZER_REASONS);
    assertEquals(expected, corpus.reasons());
    assertTrue(corpus.reasons().contains("implausible-log-probs"));
  }

  private static Set<String> expectedReasons() {
    Set<String> expected = new HashSet<>(RolloutContract.REASONS);
    expected.addAll(GroupContract.REASONS);
    for (RecordDecodingException.Reason reason : RecordDecodingException.Reason.values()) {
      expected.add(reason.label());
    }
    expected.add(ParseRollouts.RECORD_TOO_LARGE);
    return expected;
  }

  @Test
  void refusesALimitThatTheOtherCasesExceed() {
    assertThrows(IllegalArgumentException.class, () -> ContractCorpus.generate(7, 6, 4, 65_536));
  }

  @Test
  void leavesTheTooLargeRecordOutWithoutALimit() {
    assertFalse(
        ContractCorpus.generate(7, 6, 4, 0).reasons().contains(ParseRollouts.RECORD_TOO_LARGE));
  }

  @Test
  void goodAndBadIdsAreDisjointAndEveryGoodRolloutIsCredited() {
    ContractCorpus corpus = ContractCorpus.generate(7, 6, 4, 0);
    Set<String> credited = corpus.creditedIds();
    // 6 good groups of 4, and the complete group before the late rollout.
    assertEquals(6 * 4 + 2, credited.size());
    for (String dead : corpus.deadLetteredIds().keySet()) {
      assertFalse(credited.contains(dead), dead);
    }
    long redeliveries =
        corpus.entries().stream()
            .filter(e -> e.outcome() == ContractCorpus.Outcome.REDELIVERY)
            .peek(e -> assertTrue(credited.contains(e.rolloutId())))
            .count();
    assertEquals(1, redeliveries);
  }

  @Test
  void sameSeedSameRecords() {
    java.time.Instant at = java.time.Instant.parse("2026-12-01T00:00:00Z");
    List<byte[]> first = values(ContractCorpus.generate(3, 2, 4, 0, at));
    List<byte[]> second = values(ContractCorpus.generate(3, 2, 4, 0, at));
    assertEquals(first.size(), second.size());
    for (int i = 0; i < first.size(); i++) {
      assertTrue(Arrays.equals(first.get(i), second.get(i)), "record " + i);
    }
  }

  private static List<byte[]> values(ContractCorpus corpus) {
    List<byte[]> values = new ArrayList<>();
    corpus.entries().forEach(e -> values.add(e.value()));
    return values;
  }
}
