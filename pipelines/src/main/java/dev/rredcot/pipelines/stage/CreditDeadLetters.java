package dev.rredcot.pipelines.stage;

import dev.rredcot.pipelines.credit.CreditFailure;
import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;

/** Dead letters of the traces a credit step refused, under that step's stage name. */
final class CreditDeadLetters {
  private CreditDeadLetters() {}

  static DeadLetter of(Rollout rollout, CreditFailure failure) {
    return DeadLetters.ofRollout(
        rollout,
        failure.step().stage(),
        failure.reason(),
        failure.errorClass(),
        failure.errorMessage());
  }
}
