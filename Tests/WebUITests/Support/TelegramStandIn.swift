import Foundation

/// A stand-in for `window.Telegram.WebApp`, as a Telegram client provides it, carrying real
/// initData (signed for the test bot). It records what the app asks of Telegram in
/// `window.__telegram` (ready, expand, the MainButton's text and handler, haptics), so a test
/// can press the MainButton and check the haptic feedback.
enum TelegramStandIn {
    static func script(initData: String, language: String = "pt-br", colorScheme: String = "light") -> String {
        let quoted = String(decoding: try! JSONSerialization.data(withJSONObject: [initData], options: [.withoutEscapingSlashes]), as: UTF8.self)
        let theme = colorScheme == "dark"
            ? ##"{"bg_color":"#17212b","text_color":"#f5f5f5","hint_color":"#98a4b0","link_color":"#6ab3f3","button_color":"#5288c1","button_text_color":"#ffffff","secondary_bg_color":"#232e3c","section_bg_color":"#17212b","destructive_text_color":"#ef5b5b"}"##
            : ##"{"bg_color":"#ffffff","text_color":"#000000","hint_color":"#707579","link_color":"#2481cc","button_color":"#2481cc","button_text_color":"#ffffff","secondary_bg_color":"#efeff3","section_bg_color":"#ffffff","destructive_text_color":"#e53935"}"##
        return """
        (() => {
          const initData = \(quoted)[0];
          const record = { ready: false, expanded: false, haptics: [], main: { text: '', visible: false, enabled: true, handler: null }, back: { visible: false, handler: null } };
          window.__telegram = record;
          window.Telegram = { WebApp: {
            initData,
            initDataUnsafe: { user: { language_code: '\(language)' } },
            version: '8.0', platform: 'tdesktop', colorScheme: '\(colorScheme)', themeParams: \(theme),
            ready() { record.ready = true; },
            expand() { record.expanded = true; },
            onEvent() {},
            MainButton: {
              setText(text) { record.main.text = text; return this; },
              show() { record.main.visible = true; return this; },
              hide() { record.main.visible = false; return this; },
              enable() { record.main.enabled = true; return this; },
              disable() { record.main.enabled = false; return this; },
              onClick(handler) { record.main.handler = handler; return this; },
            },
            BackButton: {
              show() { record.back.visible = true; }, hide() { record.back.visible = false; },
              onClick(handler) { record.back.handler = handler; },
            },
            HapticFeedback: { notificationOccurred(type) { record.haptics.push(type); }, impactOccurred() {}, selectionChanged() {} },
          } };
        })();
        """
    }
}
