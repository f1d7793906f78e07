package dev.rredcot.tests;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.rredcot.infra.cli.RredcotCli;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.schemas.Rollout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The structure the code keeps: packages without cycles, and two entry points only. */
class ArchitectureTest {
  private static JavaClasses production;

  @BeforeAll
  static void importProductionClasses() {
    production =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // model-worker's shared fixtures arrive as its test-jar, which the option above keeps.
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("dev.rredcot");
    // Under `mvn verify` the modules arrive as jars, in a reactor test run as class directories.
    for (Class<?> fromEachModule :
        new Class<?>[] {RredcotCli.class, CreditPipeline.class, Policy.class, Rollout.class}) {
      assertTrue(production.contain(fromEachModule), fromEachModule + " was not imported");
    }
  }

  @Test
  void packagesOfEachModuleAreFreeOfCycles() {
    // Slices are module.package: dev.rredcot.pipelines.group, dev.rredcot.model.policy, ...
    slices().matching("dev.rredcot.(*).(*)..").should().beFreeOfCycles().check(production);
  }

  @Test
  void theOnlyMainMethodsAreTheCliAndTheJobEntryPoint() {
    methods()
        .that()
        .haveName("main")
        .and()
        .haveModifier(JavaModifier.STATIC)
        .and()
        .arePublic()
        .should()
        .beDeclaredIn(RredcotCli.class)
        .orShould()
        .beDeclaredIn(CreditPipeline.class)
        .check(production);
  }
}
