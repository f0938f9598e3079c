/**
 * The only module that knows the UI component library. @vscode/webview-ui-toolkit 1.4.0 is its
 * final release (archived January 2025; its successor in spirit is @vscode-elements/elements):
 * a swap touches this file only. Panels build their UI through these functions.
 */
import { provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeProgressRing } from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerComponents(): void {
  if (registered) return;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeProgressRing(), vsCodeBadge());
  registered = true;
}

export interface ButtonOptions {
  readonly appearance?: 'primary' | 'secondary' | 'icon';
  readonly title?: string;
  readonly disabled?: boolean;
  readonly onClick: () => void;
}

export function button(label: string, options: ButtonOptions): HTMLElement {
  const element = document.createElement('vscode-button');
  element.textContent = label;
  element.setAttribute('appearance', options.appearance ?? 'secondary');
  if (options.title) {
    element.setAttribute('title', options.title);
    element.setAttribute('aria-label', options.title);
  }
  if (options.disabled) element.setAttribute('disabled', '');
  element.addEventListener('click', () => {
    if (!element.hasAttribute('disabled')) options.onClick();
  });
  return element;
}

export function dropdown(choices: readonly { value: string; label: string }[], selected: string | null, onChange: (value: string) => void, label: string): HTMLElement {
  const element = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  element.setAttribute('aria-label', label);
  for (const choice of choices) {
    const option = document.createElement('vscode-option');
    option.setAttribute('value', choice.value);
    option.textContent = choice.label;
    if (choice.value === selected) option.setAttribute('selected', '');
    element.appendChild(option);
  }
  element.addEventListener('change', () => onChange(element.value));
  return element;
}

export function progressRing(): HTMLElement {
  return document.createElement('vscode-progress-ring');
}

export function badge(text: string): HTMLElement {
  const element = document.createElement('vscode-badge');
  element.textContent = text;
  return element;
}
