package io.github.imsg4j.spring;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Finds {@link ImsgHandler} methods on every bean, as Spring Kafka's
 * {@code KafkaListenerAnnotationBeanPostProcessor} does, and keeps them for the {@link ImsgEndpointRegistry},
 * which validates and routes them once all singletons exist.
 */
public class ImsgHandlerAnnotationBeanPostProcessor implements BeanPostProcessor {

	private final Set<Class<?>> withoutHandlers = ConcurrentHashMap.newKeySet();

	private final List<Found> found = new ArrayList<>();

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		Class<?> target = AopUtils.getTargetClass(bean);
		if (this.withoutHandlers.contains(target)) {
			return bean;
		}
		Map<Method, ImsgHandler> methods = MethodIntrospector.selectMethods(target,
				(MethodIntrospector.MetadataLookup<ImsgHandler>) (m) -> AnnotatedElementUtils.findMergedAnnotation(m,
						ImsgHandler.class));
		if (methods.isEmpty()) {
			this.withoutHandlers.add(target);
			return bean;
		}
		synchronized (this.found) {
			methods.forEach((m, ann) -> this.found.add(new Found(bean, AopUtils.selectInvocableMethod(m, bean.getClass()), ann)));
		}
		return bean;
	}

	/**
	 * @return the handler methods found so far
	 */
	public List<Found> found() {
		synchronized (this.found) {
			return List.copyOf(this.found);
		}
	}

	/**
	 * A handler method and the bean it belongs to.
	 *
	 * @param bean the bean (possibly a proxy)
	 * @param method the method to invoke on it
	 * @param annotation its annotation
	 */
	public record Found(Object bean, Method method, ImsgHandler annotation) {
	}
}
