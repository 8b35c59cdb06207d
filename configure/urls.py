from django.urls import path

from configure.views import business, cadences, home, message_templates, terms

app_name = "configure"
urlpatterns = [
    path("", home.home, name="home"),
    path("cadences/", cadences.cadence_list, name="cadences"),
    path("cadences/<int:pk>/", cadences.cadence_detail, name="cadence"),
    path("cadences/<int:pk>/settings/", cadences.cadence_settings, name="cadence-settings"),
    path("cadences/<int:pk>/steps/add/", cadences.step_add, name="step-add"),
    path("cadences/<int:pk>/steps/<int:step_pk>/", cadences.step_edit, name="step-edit"),
    path("cadences/<int:pk>/steps/<int:step_pk>/move/", cadences.step_move, name="step-move"),
    path("cadences/<int:pk>/steps/<int:step_pk>/remove/", cadences.step_remove,
         name="step-remove"),
    path("templates/", message_templates.template_list, name="templates"),
    path("templates/new/", message_templates.template_create, name="template-new"),
    path("templates/<int:pk>/", message_templates.template_edit, name="template"),
    path("templates/<int:pk>/preview/<str:part>/", message_templates.template_frame,
         name="template-frame"),
    path("terms/", terms.terms_list, name="terms"),
    path("terms/new/", terms.terms_create, name="terms-new"),
    path("terms/<int:pk>/", terms.terms_edit, name="terms-edit"),
    path("business/", business.business, name="business"),
    path("business/bank-accounts/new/", business.bank_account_create, name="bank-account-new"),
    path("business/bank-accounts/<int:pk>/", business.bank_account_edit, name="bank-account"),
    path("business/bank-accounts/<int:pk>/active/", business.bank_account_active,
         name="bank-account-active"),
]
