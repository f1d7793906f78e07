package dev.rredcot.model.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The trainer's retirement arithmetic: clamp, write-off, and the take-back of a wrong write-off.
 */
class RetirementAccountTest {
  private static final long PERIOD_MS = 120_000;

  @Test
  void retiresWhatWasReadAndNeverMoreThanWasAdmitted() {
    RetirementAccount account = new RetirementAccount(PERIOD_MS);
    account.open(0, 0);
    assertEquals(10, account.retired(10, 64, 1_000));
    // Rollouts nobody claimed (redelivered, produced by hand) are not retired beyond the ledger.
    assertEquals(64, account.retired(80, 64, 2_000));
    assertEquals(-16, account.adjustment());
  }

  @Test
  void writesOffWhatStaysInFlightWithoutMovement() {
    RetirementAccount account = new RetirementAccount(PERIOD_MS);
    account.open(0, 0);
    assertEquals(0, account.retired(0, 256, 0));
    assertEquals(0, account.retired(0, 256, PERIOD_MS - 1));
    assertEquals(256, account.retired(0, 256, PERIOD_MS));
    assertEquals(256, account.lastWrittenOff());
    assertEquals(256, account.writtenOff());
  }

  @Test
  void lateRolloutsTakeTheirWriteOffBack() {
    // The defect seen in the demo at load 46: a credit job slower to start than the write-off
    // period. 256 rollouts admitted at start, written off at 120 s, then the workers admit another
    // 256 and the first 256 arrive after all.
    RetirementAccount account = new RetirementAccount(PERIOD_MS);
    account.open(0, 0);
    account.retired(0, 256, 0);
    assertEquals(256, account.retired(0, 256, PERIOD_MS));
    long admitted = 512;
    for (int i = 0; i < 256; i++) {
      account.arrived(PERIOD_MS - 60_000); // created before the write-off
    }
    // Read 256, admitted 512: the second 256 are in flight, and the ledger must say so.
    assertEquals(256, account.retired(256, admitted, PERIOD_MS + 5_000));
    assertEquals(256, account.takenBack());
  }

  @Test
  void rolloutsCreatedAfterTheWriteOffTakeNothingBackAndTheTakeBackIsBounded() {
    RetirementAccount account = new RetirementAccount(PERIOD_MS);
    account.open(0, 0);
    account.retired(0, 8, 0);
    account.retired(0, 8, PERIOD_MS); // 8 written off
    account.arrived(PERIOD_MS + 1); // a new rollout: not one of the 8
    assertEquals(0, account.takenBack());
    for (int i = 0; i < 20; i++) {
      account.arrived(PERIOD_MS - 1); // more old rollouts than were written off (duplicates, say)
    }
    assertEquals(8, account.takenBack());
    assertEquals(0, account.adjustment());
  }

  @Test
  void writeOffsBackOffUntilACreditedRolloutIsRead() {
    // A credit job slow to start: the workers claim what each write-off frees (the ledger moves),
    // but nothing is read. The second write-off waits twice the period, the third four times.
    RetirementAccount account = new RetirementAccount(PERIOD_MS);
    account.open(0, 0);
    long admitted = 64;
    account.retired(0, admitted, 0);
    assertEquals(64, account.retired(0, admitted, PERIOD_MS));
    admitted += 64; // claimed at once
    long claimedAt = PERIOD_MS + 1;
    account.retired(0, admitted, claimedAt);
    assertEquals(64, account.retired(0, admitted, claimedAt + PERIOD_MS));
    assertEquals(0, account.lastWrittenOff());
    assertEquals(128, account.retired(0, admitted, claimedAt + 2 * PERIOD_MS));
    assertEquals(4 * PERIOD_MS, account.writeOffPeriodMs());
    // The doublings stop at the cap.
    for (int i = 0; i < 10; i++) {
      admitted += 64;
      long now = claimedAt + 100 * PERIOD_MS * (i + 1);
      account.retired(0, admitted, now);
      account.retired(0, admitted, now + 50 * PERIOD_MS);
    }
    assertEquals(PERIOD_MS << RetirementAccount.MAX_BACKOFF_DOUBLINGS, account.writeOffPeriodMs());
    // A credited rollout read resets the period.
    account.retired(1, admitted, claimedAt + 2000 * PERIOD_MS);
    assertEquals(PERIOD_MS, account.writeOffPeriodMs());
  }

  @Test
  void aZeroPeriodNeverWritesOff() {
    RetirementAccount account = new RetirementAccount(0);
    account.open(0, 0);
    assertEquals(0, account.retired(0, 64, Long.MAX_VALUE / 2));
    assertEquals(0, account.writtenOff());
  }
}
