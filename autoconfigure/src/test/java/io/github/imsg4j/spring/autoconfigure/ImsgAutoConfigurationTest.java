package io.github.imsg4j.spring.autoconfigure;

import java.nio.file.Path;
import java.util.List;

import io.github.imsg4j.spring.ImsgCodecs;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgErrorHandler;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgHandlerExecutor;
import io.github.imsg4j.spring.ImsgMetrics;
import io.github.imsg4j.spring.ImsgTemplate;
import io.github.imsg4j.spring.LoggingImsgErrorHandler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conditions, back-off and every start-up error of the auto-configuration, with {@link ApplicationContextRunner}.
 */
class ImsgAutoConfigurationTest {

	@TempDir
	Path dir;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class, ImsgHealthAutoConfiguration.class,
				ImsgMetricsAutoConfiguration.class));

	@Test
	void withoutEndpointsProvidesTheInfrastructureAndOpensNothing() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(ImsgEndpointRegistry.class)
				.hasSingleBean(ImsgTemplate.class)
				.hasSingleBean(ImsgCodecs.class)
				.hasSingleBean(ImsgHandlerExecutor.class)
				.hasSingleBean(LoggingImsgErrorHandler.class)
				.doesNotHaveBean(ImsgMetrics.class);
			assertThat(context.getBean(ImsgEndpointRegistry.class).endpoints()).isEmpty();
			assertThat(context.getBean(ImsgEndpointRegistry.class).isRunning()).isTrue();
		});
	}

	@Test
	void applicationBeansReplaceTheDefaults() {
		this.runner.withUserConfiguration(CustomBeans.class).run((context) -> {
			assertThat(context).hasSingleBean(ImsgErrorHandler.class);
			assertThat(context.getBean(ImsgErrorHandler.class)).isSameAs(CustomBeans.ERRORS);
			assertThat(context.getBean(ImsgTemplate.class)).isInstanceOf(CustomTemplate.class);
		});
	}

	@Test
	void theHandlerExecutorDoesNotDisplaceBootsApplicationTaskExecutor() {
		// Boot's TaskExecutionAutoConfiguration backs off when any java.util.concurrent.Executor bean exists.
		this.runner.run((context) -> assertThat(context).doesNotHaveBean(java.util.concurrent.ExecutorService.class));
	}

	@Test
	void endpointPropertiesBecomeARunningEndpoint() {
		Path sock = this.dir.resolve("a.sock");
		this.runner.withPropertyValues("imsg.endpoints.a.path=" + sock, "imsg.endpoints.a.wire=classic",
				"imsg.endpoints.a.max-message-size=4KB").run((context) -> {
					assertThat(context).hasNotFailed();
					assertThat(context.getBean(ImsgEndpointRegistry.class).endpoint("a").isListening()).isTrue();
					assertThat(sock).exists();
				});
		assertThat(sock).as("removed on close").doesNotExist();
	}

	@Test
	void healthContributorOnlyWithHealthOnTheClassPath() {
		Path sock = this.dir.resolve("h.sock");
		this.runner.withPropertyValues("imsg.endpoints.h.path=" + sock).run((context) -> {
			assertThat(context).hasBean("imsgHealthContributor");
			CompositeHealthContributor c = context.getBean("imsgHealthContributor", CompositeHealthContributor.class);
			assertThat(c.getContributor("h")).isNotNull();
		});
		this.runner.withPropertyValues("imsg.endpoints.h.path=" + sock)
			.withClassLoader(new FilteredClassLoader(org.springframework.boot.health.contributor.HealthIndicator.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("imsgHealthContributor"));
		this.runner.withPropertyValues("imsg.endpoints.h.path=" + sock, "management.health.imsg.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean("imsgHealthContributor"));
	}

	@Test
	void anUnknownKeyUnderImsgFailsStartUpNamingTheNearestValidOne() {
		Path sock = this.dir.resolve("u.sock");
		for (String[] wrongAndMeant : new String[][] { { "imsg.endpoints.e.fd-pasing", "imsg.endpoints.e.fd-passing" },
				{ "imsg.endpoints.e.wirre", "imsg.endpoints.e.wire" },
				{ "imsg.clients.c.reconect.enabled", "imsg.clients.c.reconnect.enabled" },
				{ "imsg.handlers.thread", "imsg.handlers.threads" } }) {
			this.runner.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.clients.c.path=" + sock,
					wrongAndMeant[0] + "=true").run((context) -> {
						assertThat(context).hasFailed();
						org.springframework.boot.diagnostics.FailureAnalysis analysis = new UnknownImsgPropertyFailureAnalyzer()
							.analyze(context.getStartupFailure());
						assertThat(analysis).isNotNull();
						assertThat(analysis.getDescription()).contains("Unknown property '" + wrongAndMeant[0] + "'")
							.contains("did you mean '" + wrongAndMeant[1] + "'?");
					});
		}
	}

	/**
	 * A setting that would do nothing is no property at all: sends to an endpoint's peers never wait, and a process
	 * is reached through its socket pair, not a path. Setting either stops start-up like any unknown key.
	 */
	@Test
	void settingsThatWouldDoNothingAreNotProperties() {
		Path sock = this.dir.resolve("d.sock");
		for (String dead : new String[] { "imsg.endpoints.e.send-timeout=5s", "imsg.processes.p.path=/tmp/x.sock" }) {
			this.runner.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.processes.p.command=/bin/true", dead)
				.run((context) -> {
					assertThat(context).hasFailed();
					org.springframework.boot.diagnostics.FailureAnalysis analysis = new UnknownImsgPropertyFailureAnalyzer()
						.analyze(context.getStartupFailure());
					assertThat(analysis).isNotNull();
					assertThat(analysis.getDescription()).contains("Unknown property '" + dead.substring(0, dead.indexOf('=')) + "'");
				});
		}
		assertThat(UnknownImsgPropertyFailureAnalyzer.known()).contains("imsg.clients.<name>.send-timeout",
				"imsg.processes.<name>.send-timeout", "imsg.endpoints.<name>.path", "imsg.clients.<name>.path")
			.doesNotContain("imsg.endpoints.<name>.send-timeout", "imsg.processes.<name>.path");
	}

	@Test
	void imsgEnabledFalseLeavesEverythingOut() {
		this.runner.withPropertyValues("imsg.enabled=false", "imsg.endpoints.off.path=" + this.dir.resolve("off.sock"))
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(ImsgEndpointRegistry.class)
					.doesNotHaveBean(ImsgTemplate.class).doesNotHaveBean("imsgHealthContributor");
				assertThat(this.dir.resolve("off.sock")).doesNotExist();
			});
	}

	@Test
	@org.junit.jupiter.api.extension.ExtendWith(io.github.imsg4j.spring.CapturedLogs.class)
	void aClientReconnectingIsReportedWithoutTurningTheApplicationDownAndWarnsOnce(
			io.github.imsg4j.spring.CapturedLogs output) {
		Path absent = this.dir.resolve("absent.sock");
		this.runner.withPropertyValues("imsg.clients.helper.path=" + absent, "imsg.clients.helper.reconnect.initial-backoff=5ms",
				"imsg.clients.helper.reconnect.max-backoff=5ms", "imsg.endpoints.up.path=" + this.dir.resolve("up.sock"))
			.run((context) -> {
				CompositeHealthContributor c = context.getBean("imsgHealthContributor", CompositeHealthContributor.class);
				org.springframework.boot.health.contributor.Health helper = ((org.springframework.boot.health.contributor.HealthIndicator) c
					.getContributor("helper")).health();
				org.springframework.boot.health.contributor.Health up = ((org.springframework.boot.health.contributor.HealthIndicator) c
					.getContributor("up")).health();
				assertThat(helper.getStatus().getCode()).isEqualTo("RECONNECTING");
				assertThat(helper.getDetails()).containsKey("lastError");
				// Boot's default aggregation: a status it does not order sorts after UP, so the whole stays UP.
				assertThat(org.springframework.boot.health.actuate.endpoint.StatusAggregator.getDefault()
					.getAggregateStatus(helper.getStatus(), up.getStatus())).isEqualTo(
							org.springframework.boot.health.contributor.Status.UP);
				// A retry every 5 ms: the first failure at WARN, and no other for as long as we watch.
				org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300))
					.atMost(java.time.Duration.ofSeconds(5))
					.until(() -> output.getAll().lines()
						.filter((l) -> l.contains("WARN") && l.contains("imsg client 'helper'")).count() == 1);
			});
		assertThat(output.getAll()).contains("imsg stopped: 1 endpoints, 1 clients and processes");
	}

	@Test
	void metricsOnlyWithAMeterRegistry() {
		this.runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(MicrometerImsgMetrics.class));
		this.runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.run((context) -> assertThat(context).doesNotHaveBean(ImsgMetrics.class));
	}

	@ParameterizedTest(name = "{0}={1}")
	@CsvSource(delimiter = '|', value = {
			"imsg.endpoints.e.wire | classik | imsg.endpoints.e.wire | classik",
			"imsg.endpoints.e.max-message-size | 8B | between 16B and 2147483647B | 8B",
			"imsg.endpoints.e.max-message-size | 64KB | between 16B and 65535B for the classic | 65536B",
			"imsg.endpoints.e.socket-mode | 0999 | an octal permission mode | 0999",
			"imsg.endpoints.e.socket-mode | 4755 | an octal permission mode | 4755",
			"imsg.endpoints.e.socket-group | no-such-group-imsg4j | the name of an existing group | no-such-group-imsg4j",
			"imsg.endpoints.e.backlog | 0 | a whole number of at least 1 | 0",
			"imsg.endpoints.e.max-connections | -1 | imsg.endpoints.e.max-connections | -1",
			"imsg.endpoints.e.idle-timeout | 0s | a positive duration | PT0S",
			"imsg.endpoints.e.write-queue-limit | 1KB | at least max-message-size | 1024B",
			"imsg.endpoints.e.auth.allow-users[0] | no-such-user-imsg4j | the name of an existing user | no-such-user-imsg4j",
			"imsg.endpoints.e.auth.allow-groups[0] | no-such-group-imsg4j | the name of an existing group | no-such-group-imsg4j",
			"imsg.endpoints.e.auth.allow-uids[0] | -5 | imsg.endpoints.e.auth.allow-uids[0] | -5",
			"imsg.endpoints.e.stale-socket | steal | imsg.endpoints.e.stale-socket | steal",
			"imsg.endpoints.e.max-received-fds | 0 | a whole number of at least 1 | 0",
			"imsg.budget.memory | 0B | at least 1B | 0B",
			"imsg.budget.descriptors | 0 | a whole number of at least 1 | 0",
			"imsg.handlers.threads | 0 | imsg.handlers.threads | 0" })
	void wrongValuesStopStartUpNamingPropertyValueAndWhatIsValid(String property, String value, String expected,
			String shown) {
		String wire = property.endsWith("max-message-size") && value.equals("64KB") ? "classic" : "current";
		this.runner
			.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("e.sock"), "imsg.endpoints.e.wire=" + wire,
					property + "=" + value)
			.run((context) -> {
				// Boot's binder reports conversion failures (enums) with the property in an outer exception;
				// our own checks name it in the innermost one. Either way the user reads the whole chain.
				String chain = chain(context);
				assertThat(chain).contains(expected).contains(property).contains(shown);
			});
	}

	/** The core checks a child's spec; the report names the starter's property, not the core's parameter. */
	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = { "imsg.processes.p.fd=2 | imsg.processes.p.fd | a descriptor of 3 or more",
			"imsg.processes.p.fd=4 | imsg.processes.p.command | the program to run" })
	void childProcessRulesAreTheCoresUnderPropertyNames(String setting, String property, String expected) {
		java.util.List<String> values = new java.util.ArrayList<>(java.util.List.of(setting));
		if (!property.endsWith("command")) {
			values.add("imsg.processes.p.command=/bin/true");
		}
		this.runner.withPropertyValues(values.toArray(String[]::new)).run((context) -> assertThat(chain(context))
			.contains("'" + property + "'")
			.contains(expected));
	}

	static String chain(org.springframework.boot.test.context.assertj.AssertableApplicationContext context) {
		assertThat(context).hasFailed();
		StringBuilder all = new StringBuilder();
		for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
			all.append(t.getMessage()).append('\n');
		}
		return all.toString();
	}

	@Test
	void aMissingPathIsNamed() {
		this.runner.withPropertyValues("imsg.endpoints.e.wire=classic").run((context) -> assertThat(cause(context))
			.hasMessageContaining("'imsg.endpoints.e.path'")
			.hasMessageContaining("the socket's file system path"));
	}

	@Test
	void aPathTooLongForAUnixSocketIsNamed() {
		String longName = "x".repeat(120) + ".sock";
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve(longName))
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("'imsg.endpoints.e.path'")
				.hasMessageContaining("at most 107 bytes"));
	}

	@Test
	void twoEndpointsOnOnePathAreRefused() {
		Path p = this.dir.resolve("same.sock");
		this.runner.withPropertyValues("imsg.endpoints.a.path=" + p, "imsg.endpoints.b.path=" + p)
			.run((context) -> assertThat(cause(context)).hasMessageContaining("no other endpoint uses"));
	}

	@Test
	void clientSettingsAreChecked() {
		Path p = this.dir.resolve("c.sock");
		this.runner.withPropertyValues("imsg.clients.c.path=" + p, "imsg.clients.c.reconnect.multiplier=0.5")
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("'imsg.clients.c.reconnect.multiplier'")
				.hasMessageContaining("at least 1.0"));
		this.runner.withPropertyValues("imsg.clients.c.path=" + p, "imsg.clients.c.reconnect.max-backoff=1ms")
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("at least reconnect.initial-backoff"));
		this.runner
			.withPropertyValues("imsg.clients.x.path=" + p, "imsg.endpoints.x.path=" + this.dir.resolve("x.sock"))
			.run((context) -> assertThat(cause(context)).hasMessageContaining("not also used by an endpoint"));
	}

	@Test
	void aClientThatMayNotReconnectFailsStartUpWhenTheDaemonIsAbsent() {
		Path p = this.dir.resolve("absent.sock");
		this.runner.withPropertyValues("imsg.clients.c.path=" + p, "imsg.clients.c.reconnect.enabled=false")
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("imsg client 'c' cannot connect to " + p)
				.hasMessageContaining("reconnect is disabled"));
	}

	@Test
	void aClientThatMayReconnectStartsWithoutItsDaemon() {
		Path p = this.dir.resolve("later.sock");
		this.runner.withPropertyValues("imsg.clients.c.path=" + p, "imsg.clients.c.connect-timeout=50ms")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(ImsgEndpointRegistry.class).client("c").isConnected()).isFalse();
			});
	}

	@Test
	void anExistingPathIsNeverStolenNorRemovedUnlessItIsADeadSocketAndThatIsAllowed() throws Exception {
		Path file = java.nio.file.Files.writeString(this.dir.resolve("not-a-socket"), "precious");
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + file)
			.run((context) -> assertThat(cause(context)).hasMessageContaining("it exists and is not a socket; not removing it"));
		assertThat(file).hasContent("precious");

		Path live = this.dir.resolve("live.sock");
		try (io.github.imsg4j.core.ImsgServer other = io.github.imsg4j.core.ImsgServer.listen(live,
				io.github.imsg4j.core.ChannelOptions.defaults())) {
			this.runner.withPropertyValues("imsg.endpoints.e.path=" + live)
				.run((context) -> assertThat(cause(context)).hasMessageContaining("another server is listening there"));
			assertThat(live).exists();
		}

		// A dead socket: bound, then its server gone without removing it.
		Path dead = this.dir.resolve("dead.sock");
		org.newsclub.net.unix.AFUNIXServerSocketChannel gone = org.newsclub.net.unix.AFUNIXServerSocketChannel.open();
		gone.socket().setDeleteOnClose(false);
		gone.bind(org.newsclub.net.unix.AFUNIXSocketAddress.of(dead));
		gone.close();
		assertThat(dead).exists();
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + dead, "imsg.endpoints.e.stale-socket=fail")
			.run((context) -> assertThat(cause(context)).hasMessageContaining("stale-socket policy is fail"));
		assertThat(dead).as("kept under stale-socket: fail").exists();
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + dead)
			.run((context) -> assertThat(context.getBean(ImsgEndpointRegistry.class).endpoint("e").isListening()).isTrue());
	}

	@Test
	void theFailureAnalyzerPrintsPropertyValueAndFix() {
		InvalidImsgPropertyException ex = new InvalidImsgPropertyException("imsg.endpoints.e.backlog", 0,
				"a whole number of at least 1");
		FailureAnalysis analysis = new InvalidImsgPropertyFailureAnalyzer().analyze(new IllegalStateException(ex));
		assertThat(analysis.getDescription()).contains("Property: imsg.endpoints.e.backlog", "Value: 0",
				"expected a whole number of at least 1");
		assertThat(analysis.getAction()).contains("set imsg.endpoints.e.backlog to a whole number of at least 1");
	}

	@Test
	void twoHandlersForOneTypeOnOneEndpointNameBothMethods() {
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("d.sock"))
			.withUserConfiguration(Duplicate.class)
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("two handlers for message type 7 on endpoint 'e'")
				.hasMessageContaining("Duplicate$One.seven")
				.hasMessageContaining("Duplicate$Two.alsoSeven"));
	}

	@Test
	void aSandboxedJvmChildIsAllowedItsJdkAndClassPathAndWhatThePropertiesList() {
		ImsgProperties.Sandbox p = new ImsgProperties.Sandbox();
		p.setEnabled(true);
		p.setWrite(List.of(Path.of("/srv/run")));
		p.setRead(List.of(Path.of("/etc/app.yml")));
		// behind a wrapper, as README's setpriv example: the java it runs is found among the arguments
		io.github.imsg4j.core.ImsgSandbox box = CoreOptions.sandbox(List.of("/usr/bin/setpriv", "--reuid=65534",
				"/usr/lib/jvm/jdk-25/bin/java", "-cp", "/opt/a.jar:/opt/lib/*", "my.Main"), p);
		assertThat(box).isNotNull();
		assertThat(box.execute()).contains(Path.of("/usr/bin/setpriv"), Path.of("/usr/lib/jvm/jdk-25"));
		assertThat(box.read()).contains(Path.of("/opt/a.jar"), Path.of("/opt/lib"), Path.of("/etc/app.yml"),
				Path.of("/proc"));
		assertThat(box.write()).containsExactly(Path.of("/srv/run"));
		assertThat(box.scopeSignals()).isTrue();
		assertThat(box.required()).isFalse();
		p.setEnabled(false);
		assertThat(CoreOptions.sandbox(List.of("/bin/true"), p)).isNull();
	}

	@Test
	void aDirectoryOthersCouldReplaceTheSocketInGetsItsOwnAction() throws Exception {
		Path shared = java.nio.file.Files.createDirectory(this.dir.resolve("shared"));
		java.nio.file.Files.setPosixFilePermissions(shared,
				java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx")); // no sticky bit
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + shared.resolve("e.sock")).run((context) -> {
			FailureAnalysis a = new ImsgStartupFailureAnalyzer.Listen().analyze(context.getStartupFailure());
			assertThat(a.getDescription()).contains("has mode 0777, writable by other users without the sticky bit");
			assertThat(a.getAction()).startsWith("Change imsg.endpoints.e.path to a path in a directory only this user")
				.contains("set imsg.endpoints.e.socket-directory-check=false")
				.doesNotContain("ListenOptions");
		});
	}

	@Test
	void aSocketLayerThatCannotBeHadIsAFailureReportWithTheReason() {
		// what ImsgEndpointRegistry.start throws when imsg4j.transport=ffm cannot be had (the choice itself, made once
		// per JVM, is TransportChoiceTest's, in JVMs of its own)
		io.github.imsg4j.core.ImsgSocketLayerException ex = new io.github.imsg4j.core.ImsgSocketLayerException(
				"imsg4j.transport=ffm, but the FFM socket layer cannot be used: Java 17.0.15+6 (the FFM layer needs Java "
						+ "22 or later)");
		FailureAnalysis a = new ImsgStartupFailureAnalyzer.SocketLayer().analyze(new IllegalStateException(ex));
		assertThat(a.getDescription()).isEqualTo("imsg cannot start: " + ex.getMessage());
		assertThat(a.getAction()).contains("Remove the system property imsg4j.transport");
	}

	@Test
	void startUpFailuresAreReportedNamingEndpointPropertyAndValueInConfigurationsOwnWords() throws Exception {
		Path file = java.nio.file.Files.writeString(this.dir.resolve("regular-file"), "x");
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + file).run((context) -> {
			FailureAnalysis a = new ImsgStartupFailureAnalyzer.Listen().analyze(context.getStartupFailure());
			assertThat(a.getDescription()).startsWith("imsg endpoint 'e' cannot listen (imsg.endpoints.e.path = " + file + ")")
				.contains("not a socket");
			assertThat(a.getAction()).contains("Change imsg.endpoints.e.path");
		});
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("d.sock"))
			.withUserConfiguration(Duplicate.class)
			.run((context) -> assertThat(new ImsgStartupFailureAnalyzer().analyze(context.getStartupFailure())
				.getDescription()).contains("two handlers for message type 7 on endpoint 'e'"));
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("w.sock"), "imsg.endpoints.e.wire=bogus")
			.run((context) -> {
				FailureAnalysis a = new ImsgEnumFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(a.getDescription()).contains("Invalid value 'bogus' for property 'imsg.endpoints.e.wire'")
					.contains("expected one of classic, current");
			});
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("s.sock"),
				"imsg.endpoints.e.stale-socket=sometimes")
			.run((context) -> assertThat(new ImsgEnumFailureAnalyzer().analyze(context.getStartupFailure())
				.getDescription()).contains("expected one of replace, fail"));
	}

	@Test
	void theSameTypeOnDifferentEndpointsIsFine() {
		this.runner
			.withPropertyValues("imsg.endpoints.a.path=" + this.dir.resolve("a.sock"),
					"imsg.endpoints.b.path=" + this.dir.resolve("b.sock"))
			.withUserConfiguration(PerEndpoint.class)
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void aHandlerNamingAnUnknownEndpointFails() {
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("u.sock"))
			.withUserConfiguration(UnknownEndpoint.class)
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("names endpoint 'nope'")
				.hasMessageContaining("known: [e]"));
	}

	@Test
	void unsupportedParametersAndUndeclaredRepliesFail() {
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("p.sock"))
			.withUserConfiguration(BadParameter.class)
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("no argument resolver supports parameter 0 (Thread)"));
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("r.sock"))
			.withUserConfiguration(NoReplyType.class)
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("returns String but declares no replyType"));
		this.runner.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("f.sock"))
			.withUserConfiguration(TwoFallbacks.class)
			.run((context) -> assertThat(cause(context))
				.hasMessageContaining("two fallback handlers on endpoint 'e'"));
	}

	/** The most specific cause of a failed start-up: what the user reads. */
	static Throwable cause(org.springframework.boot.test.context.assertj.AssertableApplicationContext context) {
		assertThat(context).hasFailed();
		return org.springframework.core.NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure());
	}

	@Configuration(proxyBeanMethods = false)
	static class CustomBeans {

		static final ImsgErrorHandler ERRORS = (s, m, e) -> ImsgErrorHandler.Action.CLOSE;

		@Bean
		ImsgErrorHandler myErrors() {
			return ERRORS;
		}

		@Bean
		ImsgTemplate myTemplate(ImsgEndpointRegistry registry) {
			return new CustomTemplate(registry);
		}
	}

	static class CustomTemplate extends ImsgTemplate {

		CustomTemplate(ImsgEndpointRegistry registry) {
			super(registry);
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class Duplicate {

		@Bean
		One one() {
			return new One();
		}

		@Bean
		Two two() {
			return new Two();
		}

		static class One {

			@ImsgHandler(type = 7)
			void seven(byte[] payload) {
			}
		}

		static class Two {

			@ImsgHandler(type = { 6, 7 })
			void alsoSeven(byte[] payload) {
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class PerEndpoint {

		@Bean
		A a() {
			return new A();
		}

		static class A {

			@ImsgHandler(type = 7, endpoints = "a")
			void onA(byte[] payload) {
			}

			@ImsgHandler(type = 7, endpoints = "b")
			void onB(byte[] payload) {
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class UnknownEndpoint {

		@Bean
		H h() {
			return new H();
		}

		static class H {

			@ImsgHandler(type = 1, endpoints = "nope")
			void handle(byte[] payload) {
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class BadParameter {

		@Bean
		H h() {
			return new H();
		}

		static class H {

			@ImsgHandler(type = 1)
			void handle(Thread t) {
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class NoReplyType {

		@Bean
		H h() {
			return new H();
		}

		static class H {

			@ImsgHandler(type = 1)
			String handle(String s) {
				return s;
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class TwoFallbacks {

		@Bean
		H h() {
			return new H();
		}

		static class H {

			@ImsgHandler(fallback = true)
			void any(byte[] b) {
			}

			@ImsgHandler(fallback = true)
			void other(byte[] b) {
			}
		}
	}
}
