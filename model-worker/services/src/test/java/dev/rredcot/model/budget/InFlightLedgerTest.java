package dev.rredcot.model.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.rredcot.schemas.BudgetEvent;
import dev.rredcot.schemas.BudgetEventKind;
import dev.rredcot.schemas.PromptRange;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class InFlightLedgerTest {
  private static final int G = 4;

  @Test
  void refusesEveryClaimUntilATrainerHasPublished() {
    InFlightLedger ledger = new InFlightLedger();
    assertEquals(InFlightLedger.Verdict.REFUSED, ledger.apply(claim("workers", 0, 0, 1)));
    assertFalse(ledger.retireSeen());
    assertEquals(0, ledger.admittedRollouts());
  }

  @Test
  void acceptsClaimsUpToTheLimitAndRefusesTheOneBeyond() {
    InFlightLedger ledger = new InFlightLedger();
    ledger.apply(retire(0, 3));
    assertEquals(InFlightLedger.Verdict.ACCEPTED, ledger.apply(claim("workers", 0, 0, 2)));
    // One group of room left: a claim of two is refused whole and charges nothing.
    assertEquals(InFlightLedger.Verdict.REFUSED, ledger.apply(claim("workers", 1, 0, 2)));
    assertEquals(2 * G, ledger.inFlightRollouts());
    assertEquals(InFlightLedger.Verdict.ACCEPTED, ledger.apply(claim("workers", 1, 0, 1)));
    assertEquals(3 * G, ledger.inFlightRollouts());
    assertEquals(0, ledger.roomRollouts(G));
  }

  @Test
  void retirementsMakeRoomAgain() {
    InFlightLedger ledger = new InFlightLedger();
    ledger.apply(retire(0, 2));
    ledger.apply(claim("workers", 0, 0, 2));
    assertEquals(InFlightLedger.Verdict.REFUSED, ledger.apply(claim("workers", 0, 2, 3)));
    ledger.apply(retire(G, 2));
    assertEquals(InFlightLedger.Verdict.ACCEPTED, ledger.apply(claim("workers", 0, 2, 3)));
    assertEquals(2 * G, ledger.inFlightRollouts());
  }

  @Test
  void aPromptServedAgainIsNotChargedTwice() {
    // A worker died after its claim; the group gives the same offsets to another worker.
    InFlightLedger ledger = new InFlightLedger();
    ledger.apply(retire(0, 4));
    ledger.apply(claim("workers", 0, 10, 13));
    assertEquals(InFlightLedger.Verdict.ACCEPTED, ledger.apply(claim("workers", 0, 10, 14)));
    assertEquals(4 * G, ledger.admittedRollouts());
  }

  @Test
  void anotherConsumerGroupPaysForTheSameOffsets() {
    InFlightLedger ledger = new InFlightLedger();
    ledger.apply(retire(0, 4));
    ledger.apply(claim("workers", 0, 0, 2));
    ledger.apply(claim("other-workers", 0, 0, 2));
    assertEquals(4 * G, ledger.admittedRollouts());
  }

  @Test
  void releasesGiveBackRolloutsThatWereNeverSampled() {
    InFlightLedger ledger = new InFlightLedger();
    ledger.apply(retire(0, 2));
    ledger.apply(claim("workers", 0, 0, 2));
    ledger.apply(
        BudgetEvent.newBuilder()
            .setKind(BudgetEventKind.RELEASE)
            .setSource("w")
            .setAtMs(Instant.EPOCH)
            .setRollouts(G)
            .build());
    assertEquals(G, ledger.inFlightRollouts());
    assertEquals(InFlightLedger.Verdict.ACCEPTED, ledger.apply(claim("workers", 0, 2, 3)));
  }

  static BudgetEvent claim(String group, int partition, long from, long to) {
    return BudgetEvent.newBuilder()
        .setKind(BudgetEventKind.CLAIM)
        .setSource("w")
        .setAtMs(Instant.EPOCH)
        .setConsumerGroup(group)
        .setPromptsTopic("prompts")
        .setRanges(List.of(new PromptRange(partition, from, to)))
        .setGroupSize(G)
        .build();
  }

  static BudgetEvent retire(long retired, int limitGroups) {
    return BudgetEvent.newBuilder()
        .setKind(BudgetEventKind.RETIRE)
        .setSource("t")
        .setAtMs(Instant.EPOCH)
        .setRetiredRollouts(retired)
        .setConsumedRollouts(retired)
        .setLimitGroups(limitGroups)
        .build();
  }
}
