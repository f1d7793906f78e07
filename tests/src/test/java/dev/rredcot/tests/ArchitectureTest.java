package dev.rredcot.tests;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
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

/**
 * The structure the code keeps: modules in layers that draw the loop (the credit job, the rollout
 * services and the trainer side by side, never importing each other; the local stack, the lab and
 * the CLI above them, only the CLI importing the lab), packages without cycles, and two entry
 * points only.
 */
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
  void modulesFormTheLoopsLayers() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .ensureAllClassesAreContainedInArchitecture()
        .layer("contracts")
        .definedBy("dev.rredcot.schemas..")
        .layer("tasks")
        .definedBy("dev.rredcot.model.task..")
        .layer("model")
        .definedBy(
            "dev.rredcot.model.backend..",
            "dev.rredcot.model.bench..",
            "dev.rredcot.model.checkpoint..",
            "dev.rredcot.model.evaluation..",
            "dev.rredcot.model.family..",
            "dev.rredcot.model.files..",
            "dev.rredcot.model.grpo..",
            "dev.rredcot.model.loading..",
            "dev.rredcot.model.policy..",
            "dev.rredcot.model.pretrain..",
            "dev.rredcot.model.tokenizer..")
        .layer("services")
        .definedBy(
            "dev.rredcot.model.service..",
            "dev.rredcot.model.metrics..",
            "dev.rredcot.model.budget..")
        .layer("rollout")
        .definedBy("dev.rredcot.model.rollout..")
        .layer("trainer")
        .definedBy("dev.rredcot.model.trainer..")
        .layer("credit job")
        .definedBy("dev.rredcot.pipelines..")
        .layer("local stack")
        .definedBy(
            "dev.rredcot.infra.kafka..",
            "dev.rredcot.infra.flink..",
            "dev.rredcot.infra.process..",
            "dev.rredcot.infra.home..",
            "dev.rredcot.infra.logs..")
        .layer("lab")
        .definedBy(
            "dev.rredcot.infra.evaluation..",
            "dev.rredcot.infra.bench..",
            "dev.rredcot.infra.compare..",
            "dev.rredcot.infra.report..",
            "dev.rredcot.infra.synthetic..",
            "dev.rredcot.infra.demo..",
            "dev.rredcot.infra.chaos..",
            "dev.rredcot.infra.loop..")
        .layer("cli")
        .definedBy(
            "dev.rredcot.infra.cli..", "dev.rredcot.infra.config..", "dev.rredcot.infra.records..")
        .whereLayer("cli")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("lab")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("local stack")
        .mayOnlyBeAccessedByLayers("lab", "cli")
        .whereLayer("credit job")
        .mayOnlyBeAccessedByLayers("local stack", "lab", "cli")
        .whereLayer("trainer")
        .mayOnlyBeAccessedByLayers("lab", "cli")
        .whereLayer("rollout")
        .mayOnlyBeAccessedByLayers("lab", "cli")
        .whereLayer("services")
        .mayOnlyBeAccessedByLayers("rollout", "trainer", "credit job", "local stack", "lab", "cli")
        .whereLayer("model")
        .mayOnlyBeAccessedByLayers("rollout", "trainer", "credit job", "local stack", "lab", "cli")
        .whereLayer("tasks")
        .mayOnlyBeAccessedByLayers(
            "model", "rollout", "trainer", "credit job", "local stack", "lab", "cli")
        .check(production);
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
