package io.github.imsg4j.core;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The architecture rules every module's tests check on its own main classes (shared through the core's
 * test-jar): nothing outside the core uses {@code io.github.imsg4j.core.internal}, which may change at any
 * time; the public API is all another module, or an application, gets.
 */
public final class ArchitectureRules {

	private ArchitectureRules() {
	}

	/**
	 * Fails when a main class under {@code rootPackage} depends on the core's internal package.
	 *
	 * @param rootPackage the module's package, e.g. {@code io.github.imsg4j.spring}
	 */
	public static void assertNoUseOfCoreInternals(String rootPackage) {
		JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
			.importPackages(rootPackage);
		noClasses().that().resideInAPackage(rootPackage + "..")
			.should().dependOnClassesThat().resideInAPackage("io.github.imsg4j.core.internal..")
			.because("io.github.imsg4j.core.internal is the core's own and may change at any time")
			.check(classes);
	}
}
